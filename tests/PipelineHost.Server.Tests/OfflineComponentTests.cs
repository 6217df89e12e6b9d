using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using PipelineHost.Pipelines.Tests.Components;
using PipelineHost.Server.Tests.Support;
using SkiaSharp;

namespace PipelineHost.Server.Tests;

/// <summary>The components that need no network, end to end: a real host, real worker processes.</summary>
public sealed class OfflineComponentTests
{
    private static JsonObject Pipeline(params JsonObject[] components) => new()
    {
        ["components"] = new JsonArray([new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } }, .. components]),
        ["source"] = "webhook_1",
    };

    private static JsonObject Component(string id, string provider, JsonObject config, params (string Lane, string From)[] inputs) => new()
    {
        ["id"] = id,
        ["provider"] = provider,
        ["config"] = config,
        ["input"] = new JsonArray(inputs.Select(i => (JsonNode)new JsonObject { ["lane"] = i.Lane, ["from"] = i.From }).ToArray()),
    };

    private static async Task<JsonObject> RunOneAsync(JsonObject pipeline, byte[] content, string mimeType, string name)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();
        var answer = await client.SendBytesAsync(token, content, mimeType, name);
        Assert.True(answer.Success, answer.Message);
        return answer.Body!.AsObject();
    }

    [Fact]
    public async Task Anonymize_masks_and_ner_tags_the_same_entities()
    {
        var body = await RunOneAsync(
            Pipeline(
                Component("anonymize_1", "anonymize", new JsonObject { ["mask"] = "[{type}]" }, ("text", "webhook_1")),
                Component("ner_1", "ner", [], ("text", "webhook_1")),
                Component("response_1", "response", [], ("text", "anonymize_1"), ("classifications", "ner_1"))),
            Encoding.UTF8.GetBytes("Mail ann@example.org, IBAN DE89 3704 0044 0532 0130 00"),
            "text/plain",
            "note.txt");

        Assert.Equal("Mail [email], IBAN [iban]\n\n", body["text"]![0]!.GetValue<string>());
        Assert.Equal(
            """[{"label":"email","rule":"ner","match":"ann@example.org","start":5,"length":15},{"label":"iban","rule":"ner","match":"DE89 3704 0044 0532 0130 00","start":27,"length":27}]""",
            body["classifications"]!.ToJsonString());
    }

    [Fact]
    public async Task Text_output_files_are_task_outputs_named_safely_and_downloadable()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var token = (await client.ExecuteAsync(Pipeline(Component("out_1", "local_text_output", [], ("text", "webhook_1")))))["token"]!.GetValue<string>();

        Assert.True((await client.SendAsync(token, "secret plans", name: "../../etc/passwd")).Success);
        var status = await client.WaitForStatusAsync(token, s => s["outputs"]!.AsArray().Count == 1);
        var download = await http.SendRawAsync(HttpMethod.Get, "/task/output?name=_._.._etc_passwd.txt", "Bearer " + token);

        Assert.Equal("""[{"name":"_._.._etc_passwd.txt","size":12,"contentType":"text/plain; charset=utf-8"}]""", status["outputs"]!.ToJsonString());
        Assert.Equal((HttpStatusCode.OK, "secret plans"), (download.Status, Encoding.UTF8.GetString(download.Body)));
    }

    [Fact]
    public async Task Thumbnail_returns_a_smaller_image_on_the_image_lane()
    {
        var body = await RunOneAsync(
            Pipeline(
                Component("thumbnail_1", "thumbnail", new JsonObject { ["maxWidth"] = 64, ["maxHeight"] = 64 }, ("tags", "webhook_1")),
                Component("response_1", "response", [], ("image", "thumbnail_1"))),
            TestImages.Png(640, 320),
            "image/png",
            "wide.png");

        var image = body["image"]![0]!;
        using var decoded = SKBitmap.Decode(Convert.FromBase64String(image["data"]!.GetValue<string>()));
        Assert.Equal(("image/png", 64, 32, "wide.png"), (image["mimeType"]!.GetValue<string>(), image["width"]!.GetValue<int>(), image["height"]!.GetValue<int>(), image["name"]!.GetValue<string>()));
        Assert.Equal((64, 32), (decoded.Width, decoded.Height));
    }

    [RequiresTesseractFact]
    public async Task Ocr_reads_an_uploaded_image_to_text()
    {
        var body = await RunOneAsync(
            Pipeline(
                Component("ocr_1", "ocr", new JsonObject { ["language"] = "eng" }, ("tags", "webhook_1")),
                Component("response_1", "response", [], ("text", "ocr_1"))),
            TestImages.Png(900, 200, "INVOICE 2025"),
            "image/png",
            "scan.png");

        Assert.Contains("INVOICE 2025", body["text"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [RequiresPostgresFact]
    public async Task Db_postgres_writes_table_rows_in_batches_into_a_table_it_creates()
    {
        var connectionString = Environment.GetEnvironmentVariable(RequiresPostgresFactAttribute.Variable)!;
        var table = "ph_test_" + Guid.NewGuid().ToString("N");
        await using var source = NpgsqlDataSource.Create(connectionString);
        try
        {
            var rows = new JsonArray(Enumerable.Range(1, 5).Select(i => (JsonNode)new JsonArray($"name {i}", i % 2 == 0 ? null : $"{i}")).ToArray());
            var content = new JsonObject { ["columns"] = new JsonArray("Name", "odd \"value\""), ["rows"] = rows }.ToJsonString();
            await RunOneAsync(
                Pipeline(Component("db_1", "db_postgres", new JsonObject { ["connectionString"] = connectionString, ["table"] = table, ["batchSize"] = 2 }, ("table", "webhook_1"))),
                Encoding.UTF8.GetBytes(content),
                "lane/table",
                "rows.json");

            await using var query = source.CreateCommand($"SELECT \"Name\", \"odd \"\"value\"\"\" FROM public.{table} ORDER BY \"Name\"");
            await using var reader = await query.ExecuteReaderAsync();
            var read = new List<(string, string?)>();
            while (await reader.ReadAsync())
            {
                read.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }

            Assert.Equal([("name 1", "1"), ("name 2", null), ("name 3", "3"), ("name 4", null), ("name 5", "5")], read);
        }
        finally
        {
            await using var drop = source.CreateCommand($"DROP TABLE IF EXISTS public.{table}");
            await drop.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>A test that needs the PostgreSQL at PIPELINEHOST_TEST_POSTGRES; skipped (not passed) when it is unset.</summary>
public sealed class RequiresPostgresFactAttribute : FactAttribute
{
    public const string Variable = "PIPELINEHOST_TEST_POSTGRES";

    public RequiresPostgresFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"{Variable} is not set";
        }
    }
}
