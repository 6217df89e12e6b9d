using System.Text;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components;

/// <summary>
/// For components that consume an object's bytes from <c>tags</c> or <c>text</c>: a source sends a text object
/// on both lanes, and taking both would describe neither, so the first lane to arrive is followed and input on
/// the other is ignored with one warning.
/// </summary>
/// <param name="component">The component's name, for messages.</param>
/// <param name="following">What the component does with the followed lane, e.g. <c>hashing lane 'tags'</c>.</param>
internal sealed class FirstLaneBytes(string component, Func<string, string> following)
{
    private string? _lane;
    private bool _warned;

    /// <summary>The payload's bytes when it is on the followed lane; null when it is ignored.</summary>
    public ReadOnlyMemory<byte>? Read(string lane, LanePayload payload, IComponentOutput output)
    {
        _lane ??= lane;
        if (!string.Equals(_lane, lane, StringComparison.Ordinal))
        {
            if (!_warned)
            {
                output.Warn($"{component}: {following(_lane)}; input on lane '{lane}' for the same object was ignored");
                _warned = true;
            }

            return null;
        }

        return payload switch
        {
            BytesPayload bytes => bytes.Bytes,
            TextPayload text => Encoding.UTF8.GetBytes(text.Text),
            _ => throw new InvalidOperationException($"{component}: lane '{lane}' carries {payload.GetType().Name}; {component} reads 'tags' and 'text'."),
        };
    }
}
