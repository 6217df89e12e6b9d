using PipelineHost.Pipelines.Components.Entities;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary>The entity detector and the two components that share it: <c>anonymize</c> masks, <c>ner</c> tags.</summary>
public class EntityComponentsTests
{
    private static readonly IReadOnlySet<string> All = new HashSet<string>(EntityDetector.Types);

    [Theory]
    [InlineData("mail ann.lee+news@example.co.uk now", "email", "ann.lee+news@example.co.uk")]
    [InlineData("IBAN DE89 3704 0044 0532 0130 00.", "iban", "DE89 3704 0044 0532 0130 00")]
    [InlineData("iban GB82WEST12345698765432", "iban", "GB82WEST12345698765432")]
    [InlineData("card 4111 1111 1111 1111 ok", "card", "4111 1111 1111 1111")]
    [InlineData("card 5500-0000-0000-0004", "card", "5500-0000-0000-0004")]
    [InlineData("from 192.168.1.20, to", "ipv4", "192.168.1.20")]
    [InlineData("host 2001:db8::8a2e:370:7334 up", "ipv6", "2001:db8::8a2e:370:7334")]
    [InlineData("loopback ::1 only", "ipv6", "::1")]
    [InlineData("call +44 20 7946 0958 today", "phone", "+44 20 7946 0958")]
    [InlineData("call (555) 123-4567", "phone", "(555) 123-4567")]
    public void Finds_each_entity_type_with_its_span(string text, string type, string value)
    {
        var entity = Assert.Single(EntityDetector.Find(text, All));

        Assert.Equal((type, value), (entity.Type, entity.Value));
        Assert.Equal(value, text.Substring(entity.Start, entity.Length));
    }

    [Theory]
    [InlineData("DE89 3704 0044 0532 0130 01")] // checksum off by one
    [InlineData("4111 1111 1111 1112")] // Luhn fails
    [InlineData("on 2024-01-15 at 12:30:45")] // a date and a time, no phone, no IPv6
    [InlineData("version 1.2.3.4.5")] // not an address
    [InlineData("999.1.1.1")]
    [InlineData("order 12345678")] // a bare number
    public void Refuses_lookalikes_that_fail_their_checks(string text) =>
        Assert.Empty(EntityDetector.Find(text, All));

    [Fact]
    public void A_card_number_is_not_also_a_phone_number() =>
        Assert.Equal(["card"], EntityDetector.Find("4111111111111111", All).Select(e => e.Type));

    [Fact]
    public async Task Anonymize_masks_with_the_configured_mask_and_keeps_the_last_characters()
    {
        var output = await ComponentHarness.RunText(new AnonymizeProvider(), """{"mask":"<{type}>","keepLast":4}""",
            "Pay 4111 1111 1111 1111 or mail bob@example.org from 10.0.0.1");

        Assert.Equal("Pay <card>1111 or mail <email>.org from <ipv4>.0.1", string.Concat(output.Texts));
    }

    [Fact]
    public async Task Anonymize_masks_an_entity_split_between_two_text_items()
    {
        var output = await ComponentHarness.RunText(new AnonymizeProvider(), "{}", "line one\nwrite to ali", "ce@example.com\n", "end");

        Assert.Equal("line one\nwrite to [email]\nend", string.Concat(output.Texts));
    }

    [Fact]
    public async Task Anonymize_masks_only_the_chosen_types_and_every_document()
    {
        var output = await ComponentHarness.RunItems(new AnonymizeProvider(), """{"entities":["email"]}""", "text/plain",
            [(LaneNames.Documents, new DocumentsPayload([new Document("a@b.io and 10.0.0.1", []), new Document("none", [])]))]);

        Assert.Equal(["[email] and 10.0.0.1", "none"], output.Documents.Select(d => d.Text));
    }

    [Fact]
    public async Task Ner_tags_entities_with_type_span_and_value_across_items()
    {
        var output = await ComponentHarness.RunText(new NerProvider(), "{}", "first line\n", "mail x@y.io or ", "call +1 415 555 2671");

        var tags = output.On(LaneNames.Classifications).Cast<ClassificationsPayload>().SelectMany(c => c.Classifications).ToList();
        Assert.Equal(
            [("email", "x@y.io", 16L, 6), ("phone", "+1 415 555 2671", 31L, 15)],
            tags.Select(t => (t.Label, t.Match!, t.Start!.Value, t.Length!.Value)));
        Assert.All(tags, t => Assert.Equal("ner", t.Rule));
        Assert.Equal("""[{"label":"email","rule":"ner","match":"x@y.io","start":16,"length":6}]""",
            LanePayloadJson.ToJson(new ClassificationsPayload([tags[0]]))!.ToJsonString());
    }
}
