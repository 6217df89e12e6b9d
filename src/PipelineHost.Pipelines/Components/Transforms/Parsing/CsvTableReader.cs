using CsvHelper;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// CSV to a table (first record as the columns) plus its text, with CsvHelper: RFC 4180 quoting, the encoding
/// detected by <see cref="TextDecoding"/>, and the delimiter detected unless the config gives one.
/// </summary>
internal static class CsvTableReader
{
    public static async ValueTask ReadAsync(DocumentPart part, ParseSession session)
    {
        var text = TextDecoding.Decode(part.Bytes.Span).Text;
        var badData = 0;
        var options = new CsvReaderOptions
        {
            Separator = session.CsvDelimiter?[0], // null: CsvHelper detects it
            HasHeader = false,
            Mode = CsvMode.Rfc4180,
            AllowLineBreaksInQuotes = true,
            SkipEmptyLines = true,
            MalformedData = CsvMalformedDataHandling.Recover,
            OnMalformedRecord = _ => badData++,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            MissingField = CsvMissingFieldHandling.ReturnEmpty,
        };

        var records = new List<string[]>();
        using (var reader = CsvHelper.CsvReader.FromText(text, options))
        {
            while (reader.Read())
            {
                var record = new string[reader.FieldCount];
                for (var i = 0; i < record.Length; i++)
                {
                    record[i] = reader.GetString(i);
                }

                records.Add(record);
            }
        }

        if (badData > 0)
        {
            session.Output.Warn(ParseSession.Invariant($"parse: \"{part.Name}\": {badData} CSV field(s) have stray or unterminated quotes; read as written"));
        }

        await session.TableAsync(ToTable(records, part, session.Output)).ConfigureAwait(false);
        await session.TextAsync(text).ConfigureAwait(false);
    }

    private static TablePayload ToTable(List<string[]> records, DocumentPart part, IComponentOutput output)
    {
        if (records.Count == 0)
        {
            return new TablePayload([], []);
        }

        var columns = records[0];
        var rows = new List<IReadOnlyList<string?>>(records.Count - 1);
        var tooLong = 0;
        foreach (var record in records.Skip(1))
        {
            tooLong += record.Length > columns.Length ? 1 : 0;
            var row = new string?[columns.Length];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = i < record.Length ? record[i] : null;
            }

            rows.Add(row);
        }

        if (tooLong > 0)
        {
            output.Warn(ParseSession.Invariant(
                $"parse: \"{part.Name}\": {tooLong} CSV row(s) have more fields than the header's {columns.Length}; the extra fields were dropped"));
        }

        return new TablePayload(columns, rows);
    }
}
