using System.Text;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>An RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF line ends, a configurable delimiter.</summary>
internal static class CsvTable
{
    /// <summary>
    /// Splits <paramref name="text"/> into records of fields. Blank lines are skipped. Lenient where RFC 4180
    /// is strict: a quote inside an unquoted field is kept as text, and an unterminated quoted field runs to the
    /// end (reported through <paramref name="unterminated"/>).
    /// </summary>
    public static List<List<string>> Parse(string text, char delimiter, out bool unterminated)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var quoted = false;

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    inQuotes = false;
                }
            }
            else if (c == '"' && field.Length == 0 && !quoted)
            {
                inQuotes = true;
                quoted = true;
            }
            else if (c == delimiter)
            {
                EndField();
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                EndRecord();
            }
            else
            {
                field.Append(c);
            }
        }

        unterminated = inQuotes;
        EndRecord();
        return records;

        void EndField()
        {
            record.Add(field.ToString());
            field.Clear();
            quoted = false;
        }

        void EndRecord()
        {
            var blank = record.Count == 0 && field.Length == 0 && !quoted;
            EndField();
            if (!blank)
            {
                records.Add(record);
            }

            record = [];
        }
    }
}
