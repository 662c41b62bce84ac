using ClinFuse.Core;
using ClinFuse.Core.Stages;
using nietras.SeparatedValues;

namespace ClinFuse.Data.Mimic;

/// <summary>
/// Streams one CSV or CSV.GZ table row by row (never loads it whole) and turns every way a table
/// can be broken (missing columns, truncated gzip, unparsable values) into a <see cref="ClinFuseException"/>
/// that names the file and the row.
/// </summary>
public static class CsvSource
{
    /// <summary>Opens <paramref name="path"/> for text reading, decompressing <c>.gz</c>.</summary>
    public static TextReader OpenText(string path) => OpenText(path, out _);

    /// <summary>Opens <paramref name="path"/> for text reading; <paramref name="file"/> tells how far into the file reading is.</summary>
    public static TextReader OpenText(string path, out FileStream file)
    {
        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Stream stream = file;
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            stream = new BufferedStream(new GzipEndCheck(file, path), 1 << 20);
        return new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
    }

    /// <summary>
    /// Reads every row of a table and hands <paramref name="onRow"/> the row and the indices of the
    /// requested columns (in the order asked; -1 for an optional column that is absent).
    /// </summary>
    /// <param name="path">The table (.csv or .csv.gz).</param>
    /// <param name="required">Columns that must exist.</param>
    /// <param name="optional">Columns read when present.</param>
    /// <param name="onRow">Called per data row with the row and the column indices (required first, then optional).</param>
    /// <param name="progress">Advanced by the rows read; its total is re-estimated from the share of the file consumed, for an ETA.</param>
    /// <param name="cancellationToken">Checked every 65,536 rows.</param>
    /// <param name="requireRows">A table with a header but no data rows is an error (a table that can never be empty in MIMIC).</param>
    /// <returns>The number of data rows read.</returns>
    public static long ForEachRow(string path, IReadOnlyList<string> required, IReadOnlyList<string> optional,
        RowAction onRow, IProgressStep? progress = null, CancellationToken cancellationToken = default, bool requireRows = false)
    {
        long rows = 0;
        try
        {
            using var text = OpenText(path, out var file);
            var fileBytes = Math.Max(1, file.Length);
            using var reader = Sep.Reader(o => o with { Unescape = true, HasHeader = true }).From(text);
            var columns = new int[required.Count + optional.Count];
            var missing = new List<string>();
            for (int i = 0; i < required.Count; i++)
            {
                if (!reader.Header.TryIndexOf(required[i], out columns[i])) missing.Add(required[i]);
            }
            if (missing.Count > 0)
                throw new ClinFuseException(
                    $"{path}: missing column(s) {string.Join(", ", missing)} (header: {string.Join(",", reader.Header.ColNames)}).",
                    "Point the option at an unmodified MIMIC table; column names are case-sensitive.");
            for (int i = 0; i < optional.Count; i++)
                columns[required.Count + i] = reader.Header.TryIndexOf(optional[i], out var idx) ? idx : -1;
            foreach (var row in reader)
            {
                rows++;
                try { onRow(row, columns); }
                catch (FormatException e)
                {
                    throw new ClinFuseException($"{path}, data row {rows}: {e.Message}", "Fix or replace the table; the values must be MIMIC's own.");
                }
                if ((rows & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (progress is not null)
                    {
                        progress.Advance(0x10000);
                        var consumed = file.Position;
                        if (consumed > 0) progress.SetTotal((long)(rows * (double)fileBytes / consumed));
                    }
                }
            }
            if (rows == 0 && requireRows)
                throw new ClinFuseException($"{path} holds a header but no data rows.", "The table is incomplete: download it again (check it against PhysioNet's SHA256SUMS.txt).");
            progress?.Advance(rows & 0xFFFF);
            progress?.SetTotal(rows);
            return rows;
        }
        catch (InvalidDataException e)
        {
            // Both a damaged gzip stream and a row with the wrong number of cells land here.
            var what = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? "is corrupt or truncated, or not a CSV table," : "is not a well-formed CSV table";
            throw new ClinFuseException($"{path} {what} near data row {rows + 1:N0} ({e.Message}).",
                "Download the file again (check it against PhysioNet's SHA256SUMS.txt).");
        }
        catch (EndOfStreamException e)
        {
            throw new ClinFuseException($"{path}: the file ends unexpectedly after {rows:N0} rows ({e.Message}).",
                "Download the file again (check it against PhysioNet's SHA256SUMS.txt).");
        }
        catch (InvalidOperationException e) when (e is not ObjectDisposedException)
        {
            throw new ClinFuseException($"{path}: not a readable CSV table near data row {rows + 1} ({e.Message}).",
                "Point the option at an unmodified MIMIC table.");
        }
    }

    /// <summary>Callback for one data row: the row and the resolved column indices.</summary>
    public delegate void RowAction(SepReader.Row row, int[] columns);

    /// <summary>The text of a cell, or "" for an absent optional column.</summary>
    public static string Cell(SepReader.Row row, int column) => column < 0 ? "" : row[column].ToString();

    /// <summary>Parses an integer id cell; empty → null. Accepts "123.0" as pandas writes ids.</summary>
    public static long? Id(SepReader.Row row, int column, string name)
    {
        if (column < 0) return null;
        var span = row[column].Span;
        if (span.IsEmpty) return null;
        if (long.TryParse(span, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v)) return v;
        if (double.TryParse(span, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d))
            return (long)d;
        throw new FormatException($"column {name} holds '{span.ToString()}', not an integer id");
    }

    /// <summary>Parses a MIMIC timestamp "yyyy-MM-dd HH:mm:ss" (or a date); empty → null.</summary>
    public static DateTime? Time(SepReader.Row row, int column, string name)
    {
        if (column < 0) return null;
        var span = row[column].Span;
        if (span.IsEmpty) return null;
        return MimicTime.Parse(span) ?? throw new FormatException($"column {name} holds '{span.ToString()}', not a date/time (yyyy-MM-dd HH:mm:ss)");
    }
}
