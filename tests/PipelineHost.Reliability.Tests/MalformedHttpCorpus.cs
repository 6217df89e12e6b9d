using System.Text;

namespace PipelineHost.Reliability.Tests;

/// <summary>One hostile HTTP request. <c>{tk}</c> and <c>{pk}</c> in the URL are a running task's credentials.</summary>
public sealed record HostileRequest(string Name, HttpMethod Method, string Url, byte[]? Body = null, string? ContentType = null, bool WithKey = true, string? Authorization = null);

/// <summary>The generated HTTP corpus: every route, its query fields with wrong values, bad bodies and credentials.</summary>
public static class MalformedHttpCorpus
{
    private const string Echo = """{"components":[{"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}},{"id":"response_1","provider":"response","input":[{"lane":"text","from":"webhook_1"}]}],"source":"webhook_1"}""";

    public static List<HostileRequest> Requests()
    {
        var requests = new List<HostileRequest>();
        var json = "application/json";

        // POST /task (and PUT): bodies.
        (string, byte[])[] bodies =
        [
            ("empty", []),
            ("not JSON", "garbage"u8.ToArray()),
            ("array", "[]"u8.ToArray()),
            ("number", "5"u8.ToArray()),
            ("null", "null"u8.ToArray()),
            ("string", "\"x\""u8.ToArray()),
            ("empty object", "{}"u8.ToArray()),
            ("no components", """{"components":[],"source":"webhook_1"}"""u8.ToArray()),
            ("components not a list", """{"components":5}"""u8.ToArray()),
            ("component not an object", """{"components":[5]}"""u8.ToArray()),
            ("component without id", """{"components":[{"provider":"webhook"}]}"""u8.ToArray()),
            ("unknown provider", """{"components":[{"id":"a","provider":"nope","config":{"mode":"Source"}}],"source":"a"}"""u8.ToArray()),
            ("duplicate key", Encoding.UTF8.GetBytes(Echo.Replace("\"source\":", "\"source\":\"x\",\"source\":", StringComparison.Ordinal))),
            ("duplicate nested key", Encoding.UTF8.GetBytes(Echo.Replace("\"mode\":\"Source\"", "\"mode\":\"Source\",\"mode\":\"Source\"", StringComparison.Ordinal))),
            ("lone surrogate", Encoding.UTF8.GetBytes(Echo.Replace("\"Source\"", "\"\\ud800\"", StringComparison.Ordinal))),
            ("lone surrogate in a name", Encoding.UTF8.GetBytes(Echo.Replace("\"mode\"", "\"\\udc00\"", StringComparison.Ordinal))),
            ("invalid UTF-8", [.. Encoding.UTF8.GetBytes(Echo[..^1]), .. ",\"x\":\""u8, 0xFF, .. "\"}"u8]),
            ("overlong UTF-8", [.. Encoding.UTF8.GetBytes(Echo[..^1]), .. ",\"x\":\""u8, 0xC0, 0xAF, .. "\"}"u8]),
            ("NUL in a value", Encoding.UTF8.GetBytes(Echo.Replace("\"Source\"", "\"So\\u0000urce\"", StringComparison.Ordinal))),
            ("NUL in a name", Encoding.UTF8.GetBytes(Echo.Replace("\"mode\"", "\"mo\\u0000de\"", StringComparison.Ordinal))),
            ("NUL in a path", Encoding.UTF8.GetBytes("""{"components":[{"id":"f","provider":"filesys","config":{"mode":"Source","path":"/tmp/a\u0000b"}}],"source":"f"}""")),
            ("deep nesting", Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}")),
            ("trailing garbage", Encoding.UTF8.GetBytes(Echo + "x")),
            ("two objects", Encoding.UTF8.GetBytes(Echo + Echo)),
            ("truncated", Encoding.UTF8.GetBytes(Echo[..40])),
            ("source missing", Encoding.UTF8.GetBytes(Echo.Replace("\"source\":\"webhook_1\"", "\"source\":\"nope\"", StringComparison.Ordinal))),
            ("source a number", Encoding.UTF8.GetBytes(Echo.Replace("\"source\":\"webhook_1\"", "\"source\":5", StringComparison.Ordinal))),
            ("config a string", Encoding.UTF8.GetBytes(Echo.Replace("{\"mode\":\"Source\"}", "\"x\"", StringComparison.Ordinal))),
            ("input not a list", Encoding.UTF8.GetBytes(Echo.Replace("[{\"lane\":\"text\",\"from\":\"webhook_1\"}]", "5", StringComparison.Ordinal))),
            ("oversize", Encoding.UTF8.GetBytes("{\"components\":\"" + new string('x', 2 * 1024 * 1024) + "\"}")),
        ];
        foreach (var (name, body) in bodies)
        {
            requests.Add(new($"POST /task {name}", HttpMethod.Post, "/task", body, json));
        }

        foreach (var (name, body) in bodies.Take(12))
        {
            requests.Add(new($"PUT /task {name}", HttpMethod.Put, "/task", body, json));
        }

        // POST /task: query fields.
        (string, string)[] query =
        [
            ("threads", "x"), ("threads", "0"), ("threads", "65"), ("threads", "1.5"), ("threads", "-1"), ("threads", "99999999999"),
            ("ttl", "x"), ("ttl", "-1"), ("ttl", "1e9"),
            ("timeout", "x"), ("timeout", "-1"), ("timeout", "NaN"), ("expires", "x"), ("expires", "-5"), ("expires", "Infinity"),
            ("retry", "{bad"), ("retry", "5"), ("retry", "{\"maxRetries\":\"x\"}"), ("retry", "{\"maxRetries\":-1}"),
            ("callbackUrl", "ftp://example.com"), ("callbackUrl", "not a url"), ("callbackUrl", "http://127.0.0.1/x"),
            ("trace", "loud"), ("useExisting", "maybe"), ("wait", "maybe"),
            ("token", "tk_\u0000"), ("token", "a b"), ("token", "pk_mine"), ("token", new string('t', 200)),
        ];
        foreach (var (field, value) in query)
        {
            requests.Add(new($"POST /task ?{field}={value}", HttpMethod.Post, $"/task?{field}={Uri.EscapeDataString(value)}", Encoding.UTF8.GetBytes(Echo), json));
        }

        // Task routes with bad tokens.
        string[] tokens = ["", "nope", "tk_", "tk_nope", "pk_nope", "../../etc/passwd", "tk_\u0000", new string('t', 8000), "tk_\u00e9"];
        foreach (var token in tokens)
        {
            var q = Uri.EscapeDataString(token);
            requests.Add(new($"GET /task token={token[..Math.Min(12, token.Length)]}", HttpMethod.Get, $"/task?token={q}"));
            requests.Add(new($"DELETE /task token={token[..Math.Min(12, token.Length)]}", HttpMethod.Delete, $"/task?token={q}"));
            requests.Add(new($"POST /task/retry-failed token={token[..Math.Min(12, token.Length)]}", HttpMethod.Post, $"/task/retry-failed?token={q}"));
            requests.Add(new($"POST /task/data token={token[..Math.Min(12, token.Length)]}", HttpMethod.Post, $"/task/data?token={q}", "x"u8.ToArray(), "text/plain"));
            requests.Add(new($"GET /task/output token={token[..Math.Min(12, token.Length)]}", HttpMethod.Get, $"/task/output?token={q}&name=a"));
        }

        // Data routes with bad bodies, on a running task.
        requests.Add(new("webhook multipart without boundary", HttpMethod.Post, "/webhook?auth={pk}", "x"u8.ToArray(), "multipart/form-data"));
        requests.Add(new("webhook multipart garbage", HttpMethod.Post, "/webhook?auth={pk}", "garbage"u8.ToArray(), "multipart/form-data; boundary=abc"));
        requests.Add(new("webhook multipart unterminated", HttpMethod.Post, "/webhook?auth={pk}", "--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello"u8.ToArray(), "multipart/form-data; boundary=abc"));
        requests.Add(new("webhook multipart bad part header", HttpMethod.Post, "/webhook?auth={pk}", "--abc\r\nnot a header\r\n\r\nhello\r\n--abc--\r\n"u8.ToArray(), "multipart/form-data; boundary=abc"));
        requests.Add(new("webhook with no credential", HttpMethod.Post, "/webhook", "x"u8.ToArray(), "text/plain", WithKey: false));

        // Output names.
        foreach (var name in (string[])["", "../../etc/passwd", "a%00b", "/etc/passwd", new string('n', 5000)])
        {
            requests.Add(new($"GET /task/output name={name[..Math.Min(12, name.Length)]}", HttpMethod.Get, $"/task/output?token={{tk}}&name={name}"));
        }

        // Credentials (task-credential guesses only: wrong API keys would start this address's backoff).
        foreach (var authorization in (string[])["Bearer", "Bearer tk_nope", "Bearer pk_nope", "Basic dXNlcjpwYXNz", "tk_" + new string('x', 6000)])
        {
            requests.Add(new($"GET /task with Authorization {authorization[..Math.Min(14, authorization.Length)]}", HttpMethod.Get, "/task?token={tk}", WithKey: false, Authorization: authorization));
            requests.Add(new($"POST /task with Authorization {authorization[..Math.Min(14, authorization.Length)]}", HttpMethod.Post, "/task", Encoding.UTF8.GetBytes(Echo), json, WithKey: false, Authorization: authorization));
        }

        // A pk_ may send data, nothing else.
        requests.Add(new("pk_ stops its task", HttpMethod.Delete, "/task?token={tk}", WithKey: false, Authorization: "Bearer {pk}"));
        requests.Add(new("pk_ starts a task", HttpMethod.Post, "/task", Encoding.UTF8.GetBytes(Echo), json, WithKey: false, Authorization: "Bearer {pk}"));
        requests.Add(new("pk_ retries", HttpMethod.Post, "/task/retry-failed", WithKey: false, Authorization: "Bearer {pk}"));
        return requests;
    }
}
