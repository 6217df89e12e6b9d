using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Protocol.Tests.Json;

/// <summary>JSON5 as RocketRide's SDKs read <c>.pipe</c> files, and errors that point at the text as written.</summary>
public sealed class Json5Tests
{
    [Fact]
    public void Comments_trailing_commas_unquoted_keys_and_single_quoted_strings_read_as_json()
    {
        var node = Json5.Parse("""
            // a comment
            {
              id: 'webhook_1', /* inline */ $ref_2: "x",
              quote: 'say "hi" and it\'s fine',
              escaped: 'tab\there',
              list: [1, 2.5e3, true, null, 'a',],
              nested: { 'quoted key': { deep_1: false, }, },
            }
            """);

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id":"webhook_1","$ref_2":"x","quote":"say \"hi\" and it's fine","escaped":"tab\there","list":[1,2.5e3,true,null,"a"],"nested":{"quoted key":{"deep_1":false}}}"""),
            node));
    }

    [Fact]
    public void Words_and_quotes_inside_strings_and_comments_are_left_alone()
    {
        var node = Json5.Parse("""{ text: "key: 'not a key'", /* note: it's 'quoted' */ other: '// not a comment' }""");

        Assert.Equal("key: 'not a key'", node!["text"]!.GetValue<string>());
        Assert.Equal("// not a comment", node["other"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\n  a: 1\n  b: 2\n}", 3, 3)] // missing comma: b on line 3, column 3
    [InlineData("{ name: 'x', id: 'y', value: , }", 1, 30)] // after two rewritten keys and strings on the same line
    [InlineData("{ a: 'it\\'s', b: \"q\" c: 1 }", 1, 22)]
    [InlineData("{ a: Infinity }", 1, 6)]
    public void A_syntax_error_names_the_line_and_column_of_the_text_as_written(string text, int line, int column)
    {
        var error = Assert.Throws<Json5Exception>(() => Json5.Parse(text));

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.EndsWith($"(line {line}, column {column})", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_or_a_lone_surrogate_is_refused_as_in_strict_client_json()
    {
        Assert.Contains("Duplicate property 'id'", Assert.Throws<Json5Exception>(() => Json5.Parse("{ id: 'a', // one\n id: 'b' }")).Message, StringComparison.Ordinal);
        Assert.Contains("lone surrogate", Assert.Throws<Json5Exception>(() => Json5.Parse("{ name: '\\ud800' }")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_string_or_comment_is_reported_where_it_opens()
    {
        var text = Assert.Throws<Json5Exception>(() => Json5.Parse("{\n  a: 'open\n}"));
        var comment = Assert.Throws<Json5Exception>(() => Json5.Parse("{ a: 1 } /* never closed"));

        Assert.Equal(("This string is not closed", 2, 6), (text.Reason, text.Line, text.Column));
        Assert.Equal(("This comment is not closed", 1, 10), (comment.Reason, comment.Line, comment.Column));
    }
}
