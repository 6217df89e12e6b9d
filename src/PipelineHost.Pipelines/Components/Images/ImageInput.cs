using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Images;

/// <summary>
/// The images an object brings to an image component: each item of the <c>image</c> lane, and the object itself
/// when it is an image (<c>image/*</c>) arriving as bytes on <c>tags</c>, gathered up to a size limit and handed
/// over when the object closes. Bytes of other objects are ignored: a component that accepts a lane it has nothing
/// for in an object emits nothing there.
/// </summary>
internal sealed class ImageInput(ObjectContext context, string provider, long maxBytes)
{
    private readonly bool _isImage = context.MimeType.StartsWith("image/", StringComparison.Ordinal);
    private MemoryStream? _bytes;

    /// <summary>An image complete in itself (an <c>image</c> item); null when the item was object bytes, now held.</summary>
    public MediaPayload? Add(string lane, LanePayload payload)
    {
        switch (payload)
        {
            case MediaPayload image:
                return image;
            case BytesPayload bytes:
                if (_isImage)
                {
                    _bytes ??= new MemoryStream();
                    if (_bytes.Length + bytes.Bytes.Length > maxBytes)
                    {
                        throw new InvalidOperationException($"{provider}: the image is larger than config.maxBytes ({maxBytes} bytes).");
                    }

                    _bytes.Write(bytes.Bytes.Span);
                }

                return null;
            default:
                throw new InvalidOperationException($"{provider}: lane '{lane}' carries {payload.GetType().Name}; it reads 'tags' and 'image'.");
        }
    }

    /// <summary>The object itself as an image, at its close; null when it is not one.</summary>
    public MediaPayload? Close() =>
        _bytes is null ? null : MediaPayload.Image(_bytes.GetBuffer().AsMemory(0, (int)_bytes.Length), context.MimeType, name: context.Name);
}
