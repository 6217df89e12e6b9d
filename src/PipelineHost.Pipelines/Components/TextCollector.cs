using System.Text;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components;

/// <summary>
/// Gathers an object's text from the <c>text</c> and <c>documents</c> lanes for components that work on the
/// whole object at close. Documents are separate pieces: a newline between them keeps a match from running
/// from one into the next.
/// </summary>
internal sealed class TextCollector(string component)
{
    private readonly StringBuilder _text = new();

    /// <summary>Adds one item; any other lane's payload is an error naming the component.</summary>
    public void Add(string lane, LanePayload payload)
    {
        switch (payload)
        {
            case TextPayload text:
                _text.Append(text.Text);
                break;
            case DocumentsPayload documents:
                foreach (var document in documents.Documents)
                {
                    if (_text.Length > 0)
                    {
                        _text.Append('\n');
                    }

                    _text.Append(document.Text);
                }

                break;
            default:
                throw new InvalidOperationException($"{component}: lane '{lane}' carries {payload.GetType().Name}; {component} reads 'text' and 'documents'.");
        }
    }

    /// <summary>Everything collected so far.</summary>
    public override string ToString() => _text.ToString();
}
