using MimeKit;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// An e-mail (<c>.eml</c>) with MimeKit: its body (the plain text part, else the HTML part's text) on
/// <c>text</c>, one <c>documents</c> item whose metadata holds the headers, and each attachment parsed in line as
/// a part of the object (see <see cref="ParseSession"/>).
/// </summary>
internal static class EmailReader
{
    public static async ValueTask ReadAsync(DocumentPart part, ParseSession session)
    {
        MimeMessage message;
        try
        {
            message = await MimeMessage.LoadAsync(new MemoryStream(part.Bytes.ToArray(), writable: false), session.CancellationToken).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is not a readable e-mail message", ex);
        }

        using (message)
        {
            var body = message.TextBody ?? (message.HtmlBody is { } html ? HtmlReader.ToText(html) : string.Empty);
            body = body.TrimEnd();
            var meta = ParseSession.Meta(part, "email");
            meta["subject"] = message.Subject;
            meta["from"] = message.From.ToString();
            meta["to"] = message.To.ToString();
            if (message.Cc.Count > 0)
            {
                meta["cc"] = message.Cc.ToString();
            }

            if (message.Date != DateTimeOffset.MinValue)
            {
                meta["date"] = message.Date.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            }

            if (message.MessageId is { } id)
            {
                meta["messageId"] = id;
            }

            var attachments = message.Attachments.ToList();
            meta["attachments"] = attachments.Count;
            await session.TextAsync(body).ConfigureAwait(false);
            await session.DocumentsAsync([new Document(body, meta)]).ConfigureAwait(false);
            var index = 0;
            foreach (var attachment in attachments)
            {
                index++;
                var (name, bytes) = Content(attachment, index, part, session);
                await ArchiveReader.ParseChildAsync(part, new DocumentPart($"{part.Name}/{name}", attachment.ContentType.MimeType.ToLowerInvariant(), bytes, part.Depth + 1), session).ConfigureAwait(false);
            }
        }
    }

    private static (string Name, byte[] Bytes) Content(MimeEntity attachment, int index, DocumentPart part, ParseSession session)
    {
        session.TakeEntry(part.Name, -1);
        using var decoded = new MemoryStream();
        switch (attachment)
        {
            case MimePart mimePart when mimePart.Content is { } content:
                using (var stream = content.Open())
                {
                    return (mimePart.FileName ?? $"attachment-{index}", session.ReadBounded(stream, part.Name));
                }

            case MessagePart messagePart when messagePart.Message is { } inner:
                inner.WriteTo(decoded);
                decoded.Position = 0;
                return ($"message-{index}.eml", session.ReadBounded(decoded, part.Name));
            default:
                return ($"attachment-{index}", []);
        }
    }
}
