using MimeKit;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// An e-mail (<c>.eml</c>) with MimeKit: its body (the plain text part, else the HTML part's text) on
/// <c>text</c>, one <c>documents</c> item whose metadata holds the headers, and each attachment (an attached
/// message as an <c>.eml</c>) as a child object (see <see cref="ParseSession.ChildAsync"/>). Every attachment is
/// decoded and checked against the limits before the first child runs.
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
            var children = new List<(string Name, string MimeType, byte[] Bytes)>();
            long expanded = 0;
            foreach (var attachment in attachments)
            {
                var (name, bytes) = Content(attachment, children.Count + 1, part, session, ref expanded);
                var mime = attachment is MessagePart ? "message/rfc822" : attachment.ContentType.MimeType.ToLowerInvariant();
                children.Add((ArchiveReader.EntryPath(part.Name, name), mime, bytes));
            }

            foreach (var (name, mime, bytes) in children)
            {
                await session.ChildAsync(part, name, mime, bytes, "attachment").ConfigureAwait(false);
            }
        }
    }

    private static (string Name, byte[] Bytes) Content(MimeEntity attachment, int index, DocumentPart part, ParseSession session, ref long expanded)
    {
        session.TakeEntry(part.Name, -1);
        using var decoded = new MemoryStream();
        switch (attachment)
        {
            case MimePart mimePart when mimePart.Content is { } content:
                using (var stream = content.Open())
                {
                    return (mimePart.FileName ?? $"attachment-{index}", session.ReadBounded(stream, part.Name, part.Bytes.Length, ref expanded));
                }

            case MessagePart messagePart when messagePart.Message is { } inner:
                inner.WriteTo(decoded);
                decoded.Position = 0;
                return ($"message-{index}.eml", session.ReadBounded(decoded, part.Name, part.Bytes.Length, ref expanded));
            default:
                return ($"attachment-{index}", []);
        }
    }
}
