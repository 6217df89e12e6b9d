using System.Text;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components;

/// <summary>
/// What every source does with an object's bytes: emit them on <c>tags</c>, and as text on <c>text</c> when
/// the MIME type is textual, one text item per write (the reference engine's streaming behaviour). A MIME type
/// <c>lane/&lt;name&gt;</c> targets that lane directly: text for <c>text</c>, JSON for the structured lanes.
/// </summary>
public sealed class SourceProcessor(ObjectContext context) : IObjectProcessor
{
    // Stateful so that a UTF-8 character split across two writes is decoded whole.
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();

    // Set once a write was not whole, valid UTF-8: from then on the decoder may hold part of a character, so it
    // decodes the rest of the object.
    private bool _decoding;
    private readonly string? _directLane = context.MimeType.StartsWith("lane/", StringComparison.Ordinal)
        ? context.MimeType["lane/".Length..]
        : null;

    /// <summary>True when the MIME type is decoded onto the <c>text</c> lane.</summary>
    public static bool IsTextual(string mimeType) =>
        mimeType.StartsWith("text/", StringComparison.Ordinal) || mimeType == "lane/text";

    /// <inheritdoc />
    public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
    {
        if (payload is not BytesPayload bytes)
        {
            await output.EmitAsync(lane, payload, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_directLane is not null && _directLane != LaneNames.Text && _directLane != LaneNames.Tags)
        {
            await output.EmitAsync(_directLane, LanePayloadJson.Parse(_directLane, bytes.Bytes.Span), cancellationToken)
                .ConfigureAwait(false);
            return;
        }

        if (_directLane is null || _directLane == LaneNames.Tags)
        {
            await output.EmitAsync(LaneNames.Tags, bytes, cancellationToken).ConfigureAwait(false);
        }

        if (IsTextual(context.MimeType))
        {
            // Whole, valid UTF-8 (the usual write) stays UTF-8, copied because the caller may reuse its buffer: a
            // string is built only if a component asks for one. The same text either way.
            var text = !_decoding && System.Text.Unicode.Utf8.IsValid(bytes.Bytes.Span)
                ? TextPayload.FromUtf8(bytes.Bytes.ToArray())
                : Decoded(bytes.Bytes);
            await output.EmitAsync(LaneNames.Text, text, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private TextPayload Decoded(ReadOnlyMemory<byte> bytes)
    {
        _decoding = true;
        return new TextPayload(Decode(bytes, flush: false));
    }

    private string Decode(ReadOnlyMemory<byte> bytes, bool flush) =>
        // Straight into the string: a 64 KiB write is 128 KiB of text, and a char[] first would be a second
        // large-object allocation and copy per write.
        string.Create(_decoder.GetCharCount(bytes.Span, flush), (Decoder: _decoder, Bytes: bytes, Flush: flush), static (chars, state) =>
            state.Decoder.GetChars(state.Bytes.Span, chars, state.Flush));
}
