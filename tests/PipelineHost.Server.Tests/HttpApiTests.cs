using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>The HTTP API with real worker processes: every route, every credential kind, every error class.</summary>
public partial class HttpApiTests
{
    private const string ApiKey = TestServer.ApiKey;

    private static Task<TestServer> StartServerAsync(
        bool kestrel = false,
        Func<Hosting.ServerOptions, Hosting.ServerOptions>? options = null,
        Action<IServiceCollection>? services = null) =>
        TestServer.StartAsync(
            kestrel,
            o => (options?.Invoke(o) ?? o) with { StopGrace = TimeSpan.FromSeconds(3) },
            services);

    [Fact]
    public async Task An_api_key_in_every_form_starts_reads_and_stops_a_task_and_the_stopped_task_then_reads_state_6()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();

        var start = await CallAsync(http, HttpMethod.Post, "/task?name=echo&threads=2", Json(TestPipelines.Echo("4f9b1b7e-0000-4000-8000-000000000002")), ApiKey);
        var data = Data(start);
        var token = data["token"]!.GetValue<string>();
        var bearer = await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: $"Bearer {ApiKey}");
        var query = await CallAsync(http, HttpMethod.Get, $"/task?token={token}&auth={ApiKey}");
        var stop = await CallAsync(http, HttpMethod.Delete, $"/task?token={token}&auth={ApiKey}");
        var stopped = await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: $"Bearer {ApiKey}");

        Assert.Equal(HttpStatusCode.OK, start.Status);
        Assert.Matches(TokenPattern(), token);
        Assert.Matches(PublicKeyPattern(), data["publicToken"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{8}\\.webhook_1$", data["id"]!.GetValue<string>());
        Assert.Equal(("webhook_1", "webhook", "4f9b1b7e-0000-4000-8000-000000000002"),
            (data["source"]!.GetValue<string>(), data["provider"]!.GetValue<string>(), data["projectId"]!.GetValue<string>()));
        Assert.Equal(3, State(bearer));
        Assert.Equal("echo.webhook_1", Data(bearer)["name"]!.GetValue<string>());
        Assert.Equal(3, State(query));
        Assert.Equal(HttpStatusCode.OK, stop.Status);
        Assert.Equal("""{"status":"OK"}""", stop.Text);
        Assert.Equal(6, State(stopped));
        Assert.True(Data(stopped)["completed"]!.GetValue<bool>());
        Assert.Equal("Stopped", Data(stopped)["exitMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_task_token_is_its_own_credential_for_its_task_even_with_no_header_at_all()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Put, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();

        var noHeader = await CallAsync(http, HttpMethod.Get, $"/task?token={token}");
        var asHeader = await CallAsync(http, HttpMethod.Get, "/task", authorization: token);
        var send = await CallAsync(http, HttpMethod.Post, "/task/data", Text("from tk"), $"Bearer {token}");
        var start = await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), token);
        var stop = await CallAsync(http, HttpMethod.Delete, "/task", authorization: token);
        var stopped = await CallAsync(http, HttpMethod.Get, $"/task?token={token}");

        Assert.Equal(3, State(noHeader));
        Assert.Equal(3, State(asHeader));
        Assert.Equal("from tk\n\n", Objects(send)["body"]!["text"]![0]!.GetValue<string>());
        AssertError(start, HttpStatusCode.Forbidden, "Permission 'task.control' denied: a task credential cannot start tasks");
        Assert.Equal(HttpStatusCode.OK, stop.Status);
        Assert.Equal(6, State(stopped));
    }

    [Fact]
    public async Task A_public_key_can_send_data_through_every_data_route_and_nothing_else()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var started = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey));
        var token = started["token"]!.GetValue<string>();
        var pk = started["publicToken"]!.GetValue<string>();

        var webhook = await CallAsync(http, HttpMethod.Post, $"/webhook?auth={pk}", Text("via webhook"));
        var data = await CallAsync(http, HttpMethod.Post, "/task/data", Text("via task/data"), $"Bearer {pk}");
        var process = await CallAsync(http, HttpMethod.Put, $"/task/process?token={token}", Text("via task/process"), pk);
        var status = await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: pk);
        var statusOwn = await CallAsync(http, HttpMethod.Get, "/task", authorization: pk);
        var stop = await CallAsync(http, HttpMethod.Delete, $"/task?token={token}", authorization: pk);
        var start = await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), pk);
        var server403 = await CallAsync(http, HttpMethod.Get, "/status", authorization: pk);
        var pkAsToken = await CallAsync(http, HttpMethod.Get, $"/task?token={pk}");
        var still = await CallAsync(http, HttpMethod.Get, $"/task?token={token}");

        Assert.Equal("via webhook\n\n", Objects(webhook)["body"]!["text"]![0]!.GetValue<string>());
        Assert.Equal("via task/data\n\n", Objects(data)["body"]!["text"]![0]!.GetValue<string>());
        Assert.Equal("via task/process\n\n", Objects(process)["body"]!["text"]![0]!.GetValue<string>());
        AssertError(status, HttpStatusCode.Forbidden, "Permission 'task.monitor' denied");
        Assert.Contains("Permission 'task.monitor' denied", status.Text, StringComparison.Ordinal); // readable, not \u0027
        AssertError(statusOwn, HttpStatusCode.Forbidden, "Permission 'task.monitor' denied");
        AssertError(stop, HttpStatusCode.Forbidden, "Permission 'task.control' denied");
        AssertError(start, HttpStatusCode.Forbidden);
        AssertError(server403, HttpStatusCode.Forbidden, "Permission 'task.monitor' denied");
        AssertError(pkAsToken, HttpStatusCode.Unauthorized, "Access denied");
        Assert.Equal(3, State(still));
        Assert.Equal(3, Data(still)["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_credential_failure_is_401_Access_denied_without_the_reason()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();

        var replies = new[]
        {
            await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo())),
            await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), "wrong-key"),
            await CallAsync(http, HttpMethod.Put, "/task", Json(TestPipelines.Echo()), "Bearer "),
            await CallAsync(http, HttpMethod.Get, "/task"),
            await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: "Bearer wrong-key"),
            await CallAsync(http, HttpMethod.Get, $"/task?token={token}&auth=wrong-key"),
            await CallAsync(http, HttpMethod.Delete, $"/task?token={token}"),
            await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Text("nope")),
            await CallAsync(http, HttpMethod.Post, "/webhook?auth=pk_00000000000000000000000000000000", Text("nope")),
            await CallAsync(http, HttpMethod.Get, "/status"),
            await CallAsync(http, HttpMethod.Get, "/status", authorization: "wrong-key"),
        };
        var unknownTaskToken = await CallAsync(http, HttpMethod.Get, "/task?token=tk_00000000000000000000000000000000");
        var still = await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: ApiKey);

        Assert.All(replies, r => AssertError(r, HttpStatusCode.Unauthorized, "Access denied"));
        // A task token offered as the only credential is said to be unknown: true, and nothing a 401 did not tell.
        AssertError(unknownTaskToken, HttpStatusCode.Unauthorized, "Access denied: no task has this token (mistyped, or the task ended and was forgotten); with an API key a finished task is read from the history");
        Assert.All(replies, r => Assert.Equal("Bearer", r.WwwAuthenticate));
        Assert.Equal(3, State(still));
        Assert.Equal(0, Data(still)["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Bad_json_bad_arguments_an_invalid_pipeline_and_task_errors_are_400_with_the_reason()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var invalid = TestPipelines.Echo();
        invalid["components"]![1]!["provider"] = "nonexistent_provider";
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task?token=HTTP-400", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();

        var badJson = await CallAsync(http, HttpMethod.Post, "/task", new StringContent("{not json", Encoding.UTF8, "application/json"), ApiKey);
        var empty = await CallAsync(http, HttpMethod.Post, "/task", new StringContent(string.Empty), ApiKey);
        var notPipeline = await CallAsync(http, HttpMethod.Post, "/task", new StringContent("[1,2]", Encoding.UTF8, "application/json"), ApiKey);
        var badPipeline = await CallAsync(http, HttpMethod.Post, "/task", Json(invalid), ApiKey);
        var threads = new List<Reply>();
        foreach (var value in new[] { "0", "65", "abc", "-1" })
        {
            threads.Add(await CallAsync(http, HttpMethod.Post, $"/task?threads={value}", Json(TestPipelines.Echo()), ApiKey));
        }

        var ttl = await CallAsync(http, HttpMethod.Post, "/task?ttl=-1", Json(TestPipelines.Echo()), ApiKey);
        var useExisting = await CallAsync(http, HttpMethod.Post, "/task?useExisting=maybe", Json(TestPipelines.Echo()), ApiKey);
        var duplicate = await CallAsync(http, HttpMethod.Post, "/task?token=HTTP-400", Json(TestPipelines.Echo()), ApiKey);
        var existing = await CallAsync(http, HttpMethod.Post, "/task?token=HTTP-400&useExisting=true", Json(TestPipelines.Echo()), ApiKey);
        var noToken = await CallAsync(http, HttpMethod.Get, "/task", authorization: ApiKey);
        var noTokenDelete = await CallAsync(http, HttpMethod.Delete, "/task", authorization: ApiKey);
        var noTokenData = await CallAsync(http, HttpMethod.Post, "/task/data", Text("x"), ApiKey);
        var noBoundary = new StringContent("x");
        noBoundary.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        var multipartWithoutBoundary = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", noBoundary, ApiKey);
        var broken = new StringContent("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\r\n\r\nno closing boundary");
        broken.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        var brokenMultipart = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", broken, ApiKey);
        var tooLarge = await CallAsync(http, HttpMethod.Post, "/task", new ByteArrayContent(new byte[(16 * 1024 * 1024) + 1]), ApiKey);

        AssertError(badJson, HttpStatusCode.BadRequest);
        Assert.StartsWith("Malformed JSON: ", Message(badJson), StringComparison.Ordinal);
        AssertError(empty, HttpStatusCode.BadRequest, "The request body must be the pipeline (JSON).");
        AssertError(notPipeline, HttpStatusCode.BadRequest, "A pipeline must be a JSON object with 'components'.");
        AssertError(badPipeline, HttpStatusCode.BadRequest);
        Assert.Contains("unknown provider \"nonexistent_provider\"", Message(badPipeline), StringComparison.Ordinal);
        Assert.All(threads, r => AssertError(r, HttpStatusCode.BadRequest, "Argument 'threads' must be an integer from 1 to 64."));
        AssertError(ttl, HttpStatusCode.BadRequest, "Argument 'ttl' must be an integer of at least 0.");
        AssertError(useExisting, HttpStatusCode.BadRequest, "Argument 'useExisting' must be true or false.");
        AssertError(duplicate, HttpStatusCode.BadRequest, "Pipeline is already running.");
        Assert.Equal("HTTP-400", Data(existing)["token"]!.GetValue<string>());
        AssertError(noToken, HttpStatusCode.BadRequest, "Task token is required");
        AssertError(noTokenDelete, HttpStatusCode.BadRequest, "Task token is required");
        AssertError(noTokenData, HttpStatusCode.BadRequest, "Task token is required");
        AssertError(multipartWithoutBoundary, HttpStatusCode.BadRequest, "A multipart/form-data body needs a boundary.");
        AssertError(brokenMultipart, HttpStatusCode.BadRequest);
        Assert.StartsWith("Malformed multipart body: ", Message(brokenMultipart), StringComparison.Ordinal);
        AssertError(tooLarge, HttpStatusCode.RequestEntityTooLarge, $"The pipeline must be at most {16 * 1024 * 1024} bytes.");
        Assert.Single(server.Services.GetRequiredService<TaskManager>().Tasks);
    }

    [Fact]
    public async Task An_unknown_token_is_404_your_pipeline_is_not_running_on_every_task_route()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();

        var replies = new[]
        {
            await CallAsync(http, HttpMethod.Get, "/task?token=no-such-task", authorization: ApiKey),
            await CallAsync(http, HttpMethod.Delete, "/task?token=no-such-task", authorization: ApiKey),
            await CallAsync(http, HttpMethod.Post, "/task/data?token=no-such-task", Text("x"), ApiKey),
            await CallAsync(http, HttpMethod.Post, "/webhook?token=no-such-task", Multipart(("f", "f.txt", "x")), ApiKey),
        };

        Assert.All(replies, r => AssertError(r, HttpStatusCode.NotFound, "Your pipeline is not running: unknown task"));
    }

    [Fact]
    public async Task A_multipart_form_is_one_object_per_part_each_result_carrying_its_own_input_streamed_in_64_KiB_writes()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();
        var large = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i:D5}\n"));
        using var form = new MultipartFormDataContent
        {
            { new StringContent("alpha", Encoding.UTF8, "text/plain"), "single", "a.txt" },
            { new StringContent("bravo", Encoding.UTF8, "text/plain"), "file", "b.txt" },
            { new StringContent("hello note"), "note" },
            { new StringContent("charlie", Encoding.UTF8, "TEXT/Plain"), "file", "c.txt" },
            { new StringContent(large, Encoding.UTF8, "text/plain"), "large", "large.txt" },
        };

        var reply = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", form, ApiKey);
        var status = Data(await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: ApiKey));

        var data = Data(reply);
        var objects = data["objects"]!.AsObject();
        Assert.Equal(["single", "file_0", "note", "file_1", "large"], objects.Select(o => o.Key));
        Assert.Equal(5, data["objectsRequested"]!.GetValue<int>());
        Assert.Equal(5, data["objectsCompleted"]!.GetValue<int>());
        Assert.Equal("""{"text":"text"}""", data["resultTypes"]!.ToJsonString());
        foreach (var (key, name, text) in new[] { ("single", "a.txt", "alpha"), ("file_0", "b.txt", "bravo"), ("file_1", "c.txt", "charlie") })
        {
            var entry = objects[key]!.AsObject();
            Assert.Equal("OK", entry["status"]!.GetValue<string>());
            Assert.Equal(name, entry["name"]!.GetValue<string>());
            Assert.Equal($"{text}\n\n", entry["text"]![0]!.GetValue<string>());
            Assert.Matches(UuidPattern(), entry["objectId"]!.GetValue<string>());
            Assert.False(entry.ContainsKey("result_types"));
        }

        Assert.Matches(NoteNamePattern(), objects["note"]!["name"]!.GetValue<string>());
        Assert.Equal("hello note\n\n", objects["note"]!["text"]![0]!.GetValue<string>());
        var chunks = Enumerable.Range(0, (large.Length + 65535) / 65536).Select(i => large.Substring(i * 65536, Math.Min(65536, large.Length - (i * 65536))));
        Assert.Equal(string.Concat(chunks.Select(c => c + "\n\n")), objects["large"]!["text"]![0]!.GetValue<string>());
        Assert.Equal(5, status["completedCount"]!.GetValue<int>());
        Assert.Equal(0, status["failedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_raw_body_is_one_object_under_body_typed_by_content_type_and_named_by_content_disposition()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();
        var named = new StringContent("Hello ☃ 🚀", Encoding.UTF8, "Text/Plain");
        named.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "greeting.txt" };
        var untyped = new ByteArrayContent([1, 2, 3]);

        var plain = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", new StringContent("Hello raw", Encoding.UTF8, "text/plain"), ApiKey);
        var withName = await CallAsync(http, HttpMethod.Post, $"/webhook?token={token}", named, ApiKey);
        var binary = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", untyped, ApiKey);
        var status = Data(await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: ApiKey));

        var body = Objects(plain)["body"]!.AsObject();
        Assert.Equal(1, Data(plain)["objectsRequested"]!.GetValue<int>());
        Assert.Equal(1, Data(plain)["objectsCompleted"]!.GetValue<int>());
        Assert.Equal("""{"text":"text"}""", Data(plain)["resultTypes"]!.ToJsonString());
        Assert.Equal("OK", body["status"]!.GetValue<string>());
        Assert.Matches(StreamNamePattern(), body["name"]!.GetValue<string>());
        Assert.Equal("Hello raw\n\n", body["text"]![0]!.GetValue<string>());
        Assert.Equal("greeting.txt", Objects(withName)["body"]!["name"]!.GetValue<string>());
        Assert.Equal("Hello ☃ 🚀\n\n", Objects(withName)["body"]!["text"]![0]!.GetValue<string>());
        Assert.Equal("{}", Data(binary)["resultTypes"]!.ToJsonString());
        Assert.Equal("OK", Objects(binary)["body"]!["status"]!.GetValue<string>());
        Assert.False(Objects(binary)["body"]!.AsObject().ContainsKey("text"));
        Assert.Equal(3, status["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_object_the_pipeline_fails_is_an_error_entry_and_does_not_count_as_completed()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var pipeline = TestPipelines.Faulty("throw");
        pipeline["components"]![1]!["config"]!["match"] = "bad";
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(pipeline), ApiKey))["token"]!.GetValue<string>();

        var reply = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Multipart(("good", "good.txt", "fine"), ("bad", "bad.txt", "doomed"), ("other", "other.txt", "also fine")), ApiKey);
        var status = Data(await CallAsync(http, HttpMethod.Get, $"/task?token={token}", authorization: ApiKey));

        var data = Data(reply);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(3, data["objectsRequested"]!.GetValue<int>());
        Assert.Equal(2, data["objectsCompleted"]!.GetValue<int>());
        Assert.Equal("fine\n\n", data["objects"]!["good"]!["text"]![0]!.GetValue<string>());
        Assert.Equal("also fine\n\n", data["objects"]!["other"]!["text"]![0]!.GetValue<string>());
        var bad = data["objects"]!["bad"]!.AsObject();
        Assert.Equal("Error", bad["status"]!.GetValue<string>());
        Assert.Contains("fault: failing this object on purpose", bad["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3, status["state"]!.GetValue<int>());
        Assert.Equal(2, status["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_size_limit_is_per_object_an_oversized_part_fails_alone_and_an_oversized_raw_body_is_413()
    {
        await using var server = await StartServerAsync(options: o => o with { MaxMessageSize = 100_000 });
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();

        var form = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Multipart(("small", "small.txt", "tiny"), ("big", "big.txt", new string('x', 150_000)), ("after", "after.txt", "still read")), ApiKey);
        var raw = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Text(new string('y', 150_000)), ApiKey);
        var rawOk = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Text(new string('z', 99_000)), ApiKey);

        var data = Data(form);
        Assert.Equal(3, data["objectsRequested"]!.GetValue<int>());
        Assert.Equal(2, data["objectsCompleted"]!.GetValue<int>());
        Assert.Equal("tiny\n\n", data["objects"]!["small"]!["text"]![0]!.GetValue<string>());
        Assert.Equal("still read\n\n", data["objects"]!["after"]!["text"]![0]!.GetValue<string>());
        Assert.Equal("An object must be at most 100000 bytes.", data["objects"]!["big"]!["error"]!["message"]!.GetValue<string>());
        AssertError(raw, HttpStatusCode.RequestEntityTooLarge, "An object must be at most 100000 bytes.");
        Assert.Equal(1, Data(rawOk)["objectsCompleted"]!.GetValue<int>());
    }

    [Fact]
    public async Task Over_a_real_socket_a_form_larger_than_the_request_cap_streams_when_each_part_is_within_it()
    {
        await using var server = await StartServerAsync(kestrel: true, options: o => o with { MaxMessageSize = 100_000 });
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();

        var form = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Multipart(("a", "a.txt", new string('a', 60_000)), ("b", "b.txt", new string('b', 60_000)), ("c", "c.txt", new string('c', 60_000))), token);
        var raw = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Text(new string('y', 150_000)), ApiKey);
        var status = await CallAsync(http, HttpMethod.Get, $"/task?token={token}");

        Assert.Equal(3, Data(form)["objectsCompleted"]!.GetValue<int>());
        Assert.Equal(new string('b', 60_000) + "\n\n", Data(form)["objects"]!["b"]!["text"]![0]!.GetValue<string>());
        AssertError(raw, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(3, State(status));
        Assert.Equal(3, Data(status)["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_client_that_goes_away_mid_object_gives_its_pipe_slot_back()
    {
        var opened = new ObjectOpenedObserver();
        await using var server = await StartServerAsync(kestrel: true, services: s => s.AddSingleton<ITaskObserver>(opened));
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task?threads=1", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();

        using var abandon = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/task/data?token={token}") { Content = new StallingContent("the first bytes, then nothing"u8.ToArray()) };
        request.Headers.TryAddWithoutValidation("Authorization", ApiKey);
        var abandoned = http.SendAsync(request, abandon.Token);
        await opened.First.WaitAsync(TestTimeouts.Default); // the task's only pipe slot is now held by that request
        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(TestTimeouts.Default));

        var next = await CallAsync(http, HttpMethod.Post, $"/task/data?token={token}", Text("after the abandoned one"), ApiKey);

        Assert.Equal("after the abandoned one\n\n", Objects(next)["body"]!["text"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Status_version_and_services_answer_in_the_envelope()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var token = Data(await CallAsync(http, HttpMethod.Post, "/task", Json(TestPipelines.Echo()), ApiKey))["token"]!.GetValue<string>();
        await using var socket = await server.ConnectAsync();

        var taskStart = Data(await CallAsync(http, HttpMethod.Get, $"/task?token={token}"))["startTime"]!.GetValue<double>();
        var status = Data(await CallAsync(http, HttpMethod.Get, "/status", authorization: $"Bearer {ApiKey}"));
        var statusTk = Data(await CallAsync(http, HttpMethod.Get, "/status", authorization: token));
        var version = Data(await CallAsync(http, HttpMethod.Get, "/version"));
        var services = Data(await CallAsync(http, HttpMethod.Get, "/services"));
        var webhook = Data(await CallAsync(http, HttpMethod.Get, "/services?service=webhook"));
        var unknown = await CallAsync(http, HttpMethod.Get, "/services?service=nope");

        Assert.Equal("PipelineHost", status["server"]!["version"]!["name"]!.GetValue<string>());
        Assert.True(status["server"]!["startTime"]!.GetValue<double>() > 1_600_000_000);
        Assert.True(status["server"]!["startTime"]!.GetValue<double>() <= taskStart, "the server's start time is when it started, not when /status was first asked");
        Assert.True(status["server"]!["uptime"]!.GetValue<long>() >= 0);
        Assert.Equal(1, status["stats"]!["activeTasks"]!.GetValue<int>());
        Assert.Equal(1, status["stats"]!["connections"]!.GetValue<int>());
        Assert.Equal(0, status["stats"]!["events"]!["dropped"]!.GetValue<long>());
        Assert.True(status["stats"]!["events"]!["sent"]!.GetValue<long>() >= 0);
        Assert.Equal(1, statusTk["stats"]!["activeTasks"]!.GetValue<int>());
        Assert.Equal(("PipelineHost", "rocketride"), (version["name"]!.GetValue<string>(), version["compatibility"]!.GetValue<string>()));
        Assert.True(services["services"]!.AsObject().ContainsKey("webhook"));
        Assert.Equal(1, services["version"]!.GetValue<int>());
        Assert.Equal("webhook://", webhook["protocol"]!.GetValue<string>());
        AssertError(unknown, HttpStatusCode.NotFound);
        Assert.Contains("Service 'nope' not found", Message(unknown), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unexpected_fault_is_a_500_with_a_reference_and_no_details()
    {
        var clock = new FailingClock();
        await using var server = await StartServerAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        using var http = server.CreateHttpClient();

        clock.Fail = true;
        var reply = await CallAsync(http, HttpMethod.Get, "/status", authorization: ApiKey);
        clock.Fail = false;

        AssertError(reply, HttpStatusCode.InternalServerError);
        Assert.Matches(InternalErrorPattern(), Message(reply));
        Assert.DoesNotContain("secret", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_has_the_server_version()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();

        var document = JsonNode.Parse(await http.GetStringAsync("/openapi.json").WaitAsync(TestTimeouts.Default))!;

        Assert.Equal(server.Services.GetRequiredService<Hosting.ServerInfo>().Version, document["info"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_served_openapi_document_is_the_checked_in_one_and_names_every_mapped_route_and_method()
    {
        // The document is generated from the endpoints; this is the staleness check of protocol-spec/openapi.json.
        // Regenerate it with: dotnet run --project src/PipelineHost.Server -- openapi --out protocol-spec/openapi.json
        await AssertServedOpenApiIsCheckedInAndCompleteAsync();
    }

    private static async Task AssertServedOpenApiIsCheckedInAndCompleteAsync()
    {
        await using var server = await StartServerAsync();
        using var http = server.CreateHttpClient();
        var checkedIn = await File.ReadAllBytesAsync(Path.Combine(RepositoryRoot(), "protocol-spec", "openapi.json"));

        using var response = await http.GetAsync("/openapi.json").WaitAsync(TestTimeouts.Default);
        var served = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(checkedIn.AsSpan().SequenceEqual(served), "protocol-spec/openapi.json is stale: regenerate it with `dotnet run --project src/PipelineHost.Server -- openapi --out protocol-spec/openapi.json`");
        var paths = JsonNode.Parse(served)!["paths"]!.AsObject();
        var routes = ((IEndpointRouteBuilder)server.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(routes);

        // The document itself and the API reference page (/docs and its assets) are the only routes left out.
        var documentation = routes.Where(r => r.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription == true).ToList();
        Assert.All(documentation, r => Assert.True(r.RoutePattern.RawText!.StartsWith("/openapi", StringComparison.Ordinal) || r.RoutePattern.RawText!.TrimStart('/').StartsWith("docs", StringComparison.Ordinal), r.RoutePattern.RawText));
        foreach (var route in routes.Except(documentation))
        {
            var path = "/" + route.RoutePattern.RawText!.TrimStart('/');
            Assert.True(paths.ContainsKey(path), $"{path} is mapped but not in openapi.json");
            var methods = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                Assert.True(paths[path]!.AsObject().ContainsKey(method.ToLowerInvariant()), $"{method} {path} is mapped but not in openapi.json");
            }
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private sealed record Reply(HttpStatusCode Status, JsonObject Body, string Text, string? WwwAuthenticate);

    private static async Task<Reply> CallAsync(HttpClient http, HttpMethod method, string url, HttpContent? content = null, string? authorization = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        var text = await response.Content.ReadAsStringAsync();
        AssertNoStackTrace(text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return new Reply(response.StatusCode, JsonNode.Parse(text)!.AsObject(), text, response.Headers.WwwAuthenticate.FirstOrDefault()?.Scheme);
    }

    private static void AssertNoStackTrace(string text)
    {
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
    }

    private static void AssertError(Reply reply, HttpStatusCode status, string? message = null)
    {
        Assert.Equal(status, reply.Status);
        Assert.Equal("Error", reply.Body["status"]!.GetValue<string>());
        Assert.False(reply.Body.ContainsKey("data"));
        Assert.False(string.IsNullOrEmpty(Message(reply)));
        if (message is not null)
        {
            Assert.Equal(message, Message(reply));
        }
    }

    private static string Message(Reply reply) => reply.Body["error"]!["message"]!.GetValue<string>();

    private static JsonObject Data(Reply reply)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.Equal("OK", reply.Body["status"]!.GetValue<string>());
        return reply.Body["data"]!.AsObject();
    }

    private static JsonObject Objects(Reply reply) => Data(reply)["objects"]!.AsObject();

    private static int State(Reply reply) => Data(reply)["state"]!.GetValue<int>();

    private static StringContent Json(JsonObject pipeline) => new(pipeline.ToJsonString(), Encoding.UTF8, "application/json");

    private static StringContent Text(string text) => new(text, Encoding.UTF8, "text/plain");

    private static MultipartFormDataContent Multipart(params (string Field, string FileName, string Text)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, fileName, text) in parts)
        {
            form.Add(new StringContent(text, Encoding.UTF8, "text/plain"), field, fileName);
        }

        return form;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PipelineHost.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (PipelineHost.sln) was not found above the test output.");
    }

    /// <summary>Sends some bytes, then nothing until the request is cancelled: a client stalled mid-object.</summary>
    private sealed class StallingContent(byte[] first) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(first, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Completes when a task first opens a pipe for an object.</summary>
    private sealed class ObjectOpenedObserver : ITaskObserver
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task First => _first.Task;

        public void OnTaskEvent(TaskEvent taskEvent)
        {
            if (taskEvent is TaskDetail { EventName: "apaevt_status_object" })
            {
                _first.TrySetResult();
            }
        }
    }

    /// <summary>The system clock, until told to fail: an unexpected fault inside a route.</summary>
    private sealed class FailingClock : TimeProvider
    {
        public volatile bool Fail;

        public override DateTimeOffset GetUtcNow() => Fail ? throw new InvalidOperationException("secret internal detail") : base.GetUtcNow();
    }

    [GeneratedRegex("^tk_[0-9a-f]{32}$")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("^pk_[0-9a-f]{32}$")]
    private static partial Regex PublicKeyPattern();

    [GeneratedRegex("^[0-9a-f-]{36}$")]
    private static partial Regex UuidPattern();

    [GeneratedRegex("^note-[0-9a-f-]{36}$")]
    private static partial Regex NoteNamePattern();

    [GeneratedRegex("^stream-[0-9a-f-]{36}$")]
    private static partial Regex StreamNamePattern();

    [GeneratedRegex(@"^Internal error \(reference [0-9a-f]{8}\)$")]
    private static partial Regex InternalErrorPattern();
}
