using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class ParseProviderTests
{
    private readonly ParseProvider _provider = new();

    [Fact]
    public async Task Plain_text_is_emitted_once_on_close_with_split_utf8_joined()
    {
        var bytes = Encoding.UTF8.GetBytes("naïve café ☕ 😀 end");
        // One-byte chunks split every multi-byte character.
        var output = await ComponentHarness.Run(_provider, "{}", "text/plain", ComponentHarness.Split(bytes, 1));
        Assert.Equal(["naïve café ☕ 😀 end"], output.Texts);
        Assert.Empty(output.Warnings);
    }

    [Fact]
    public async Task Byte_order_mark_is_dropped()
    {
        // text/plain: Markdown is now rendered to its plain text, where a lone '#' is an empty heading.
        var output = await ComponentHarness.Run(_provider, "{}", "text/plain", [[0xEF, 0xBB, 0xBF, (byte)'#']]);
        Assert.Equal(["#"], output.Texts);
    }

    [Fact]
    public async Task Json_is_passed_as_its_text_unchanged()
    {
        const string json = "{\n  \"a\": [1, 2],\"b\":\"x\"}";
        var output = await ComponentHarness.Run(_provider, "{}", "application/json", json);
        Assert.Equal([json], output.Texts);
    }

    [Fact]
    public async Task Empty_object_emits_nothing()
    {
        var output = await ComponentHarness.Run(_provider, "{}", "text/plain", Array.Empty<byte[]>());
        Assert.Empty(output.Emitted);
        Assert.Empty(output.Warnings);
    }

    [Fact]
    public async Task Csv_becomes_a_table_and_text_with_quotes_escapes_and_crlf()
    {
        const string csv = "name,quote,n\r\n\"Smith, J\",\"He said \"\"hi\"\"\",1\r\nplain,\"multi\r\nline\",2\r\n";
        var output = await ComponentHarness.Run(_provider, "{}", "text/csv", csv);
        var table = output.Table;
        Assert.Equal(["name", "quote", "n"], table.Columns);
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal(["Smith, J", "He said \"hi\"", "1"], table.Rows[0]);
        Assert.Equal(["plain", "multi\r\nline", "2"], table.Rows[1]);
        Assert.Equal([csv], output.Texts);
        Assert.Equal(LaneNames.Table, output.Emitted[0].Lane);
    }

    [Fact]
    public async Task Csv_quoted_field_split_across_chunks_is_read_whole()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\n\"x,\"\"y\"\"\nz\",é\n");
        foreach (var size in new[] { 1, 2, 3, 5 })
        {
            var output = await ComponentHarness.Run(_provider, "{}", "text/csv", ComponentHarness.Split(bytes, size));
            var row = Assert.Single(output.Table.Rows);
            Assert.Equal(["x,\"y\"\nz", "é"], row);
        }
    }

    [Fact]
    public async Task Csv_short_rows_are_padded_long_rows_warned_blank_lines_skipped()
    {
        var output = await ComponentHarness.Run(_provider, "{}", "text/csv", "a,b,c\n1\n\n1,2,3,4\n,,\n");
        var table = output.Table;
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal(["1", null, null], table.Rows[0]);
        Assert.Equal(["1", "2", "3"], table.Rows[1]);
        Assert.Equal(["", "", ""], table.Rows[2]);
        Assert.Single(output.Warnings, w => w.Contains("more fields than the header", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Csv_unterminated_quote_runs_to_the_end_with_a_warning()
    {
        var output = await ComponentHarness.Run(_provider, "{}", "text/csv", "a,b\n1,\"open\n2,3");
        Assert.Equal(["1", "open\n2,3"], Assert.Single(output.Table.Rows));
        Assert.Single(output.Warnings);
    }

    [Fact]
    public async Task Csv_with_custom_delimiter_and_header_only()
    {
        var semi = await ComponentHarness.Run(_provider, """{"delimiter":";"}""", "text/csv", "a;b\n1,5;2\n");
        Assert.Equal(["1,5", "2"], Assert.Single(semi.Table.Rows));

        var header = await ComponentHarness.Run(_provider, "{}", "text/csv", "only,header");
        Assert.Equal(["only", "header"], header.Table.Columns);
        Assert.Empty(header.Table.Rows);
    }

    [Fact]
    public async Task Html_becomes_visible_text()
    {
        const string html = """
            <!DOCTYPE html>
            <html><head><title>T &amp; C</title>
            <style>body { color: red; }</style>
            <script type="text/javascript">var x = "<p>not text</p>";</script>
            </head>
            <body>
              <!-- a comment <p>hidden</p> -->
              <h1>Hello,&nbsp;world&#33;</h1>
              <p>Fish &amp; chips &lt;3   are
                 <b>very</b>   good &#x1F600;</p>
              <div data-x="a > b">One<br>Two</div>
              <table><tr><td>c1</td><td>c2</td></tr></table>
              <SCRIPT>alert(1)</SCRIPT>
              <p>3 &lt; 4 and 5 > 4</p>
            </body></html>
            """;
        var output = await ComponentHarness.Run(_provider, "{}", "text/html", html);
        Assert.Equal(
            "T & C\n\nHello, world!\n\nFish & chips <3 are very good 😀\n\nOne\nTwo\n\nc1 c2\n\n3 < 4 and 5 > 4",
            Assert.Single(output.Texts));
    }

    [Fact]
    public async Task Html_unclosed_script_hides_the_rest()
    {
        var output = await ComponentHarness.Run(_provider, "{}", "text/html", "<p>before</p><script>never(");
        Assert.Equal(["before"], output.Texts);
    }

    [Fact]
    public async Task Unknown_type_passes_bytes_through_as_tags_with_a_warning()
    {
        byte[] first = [0, 1, 2];
        byte[] second = [255];
        // PDF has a parser now: an unknown binary type stands in for it.
        var output = await ComponentHarness.Run(_provider, "{}", "application/x-unknown", first, second);
        Assert.Equal([0, 1, 2, 255], output.Bytes);
        Assert.Empty(output.Texts);
        Assert.Equal(["parse: no parser for 'application/x-unknown'; passed through as tags"], output.Warnings);
    }

    [Fact]
    public async Task Large_text_is_buffered_whole()
    {
        var text = string.Concat(Enumerable.Repeat("line of text ✓\n", 200_000));
        var output = await ComponentHarness.Run(_provider, "{}", "text/plain", ComponentHarness.Split(Encoding.UTF8.GetBytes(text), 65_537));
        Assert.Equal(text, Assert.Single(output.Texts));
    }

    [Fact]
    public void Bad_delimiter_is_refused()
    {
        Assert.Equal(["config.delimiter: must be at most 1 character(s) long"],
            ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse("""{"delimiter":";;"}""")));
        Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse("""{"delimiter":"\""}""")!.AsObject(), new ComponentEnvironment()));
    }
}
