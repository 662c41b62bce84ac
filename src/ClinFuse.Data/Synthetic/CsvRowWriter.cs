using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace ClinFuse.Data.Synthetic;

/// <summary>
/// Writes CSV rows in MIMIC's formats (RFC 4180 quoting, invariant numbers, "yyyy-MM-dd HH:mm:ss"
/// timestamps) into an in-memory block that is optionally a complete gzip member. Blocks of
/// consecutive patients are produced in parallel and concatenated in order, which keeps the output
/// independent of the thread count and readable as one gzip stream (multi-member gzip).
/// </summary>
internal sealed class CsvRowWriter : IDisposable
{
    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
    readonly MemoryStream buffer = new();
    readonly Stream? gzip;
    readonly StreamWriter writer;
    bool rowStarted;
    bool finished;

    /// <summary>A block writer; <paramref name="compress"/> makes the block one gzip member.</summary>
    public CsvRowWriter(bool compress)
    {
        gzip = compress ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : null;
        writer = new StreamWriter(gzip ?? buffer, Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\n" };
    }

    /// <summary>Rows written so far (header lines included).</summary>
    public long Rows { get; private set; }

    void Separator()
    {
        if (rowStarted) writer.Write(',');
        rowStarted = true;
    }

    /// <summary>An empty cell.</summary>
    public CsvRowWriter Empty()
    {
        Separator();
        return this;
    }

    /// <summary>An integer cell.</summary>
    public CsvRowWriter Int(long value)
    {
        Separator();
        Span<char> chars = stackalloc char[24];
        value.TryFormat(chars, out int n, default, CultureInfo.InvariantCulture);
        writer.Write(chars[..n]);
        return this;
    }

    /// <summary>An integer cell, or empty when null.</summary>
    public CsvRowWriter Int(long? value) => value is { } v ? Int(v) : Empty();

    /// <summary>A number in its shortest round-trip form (86, 97.7, 0.5).</summary>
    public CsvRowWriter Num(double value)
    {
        Separator();
        WriteNumber(value, default);
        return this;
    }

    /// <summary>A number with a .NET numeric format (e.g. "G17" for icustays.los).</summary>
    public CsvRowWriter Num(double value, string format)
    {
        Separator();
        WriteNumber(value, format);
        return this;
    }

    void WriteNumber(double value, ReadOnlySpan<char> format)
    {
        Span<char> chars = stackalloc char[32];
        value.TryFormat(chars, out int n, format, CultureInfo.InvariantCulture);
        writer.Write(chars[..n]);
    }

    /// <summary>A text cell, quoted when it holds a comma, a quote or a line break; empty when null.</summary>
    public CsvRowWriter Text(string? value)
    {
        Separator();
        if (string.IsNullOrEmpty(value)) return this;
        if (value.AsSpan().IndexOfAny(",\"\n\r") < 0)
        {
            writer.Write(value);
            return this;
        }
        writer.Write('"');
        writer.Write(value.Replace("\"", "\"\""));
        writer.Write('"');
        return this;
    }

    /// <summary>A timestamp "yyyy-MM-dd HH:mm:ss".</summary>
    public CsvRowWriter Time(DateTime value)
    {
        Separator();
        Span<char> c = stackalloc char[19];
        Digits(c[..4], value.Year); c[4] = '-';
        Digits(c.Slice(5, 2), value.Month); c[7] = '-';
        Digits(c.Slice(8, 2), value.Day); c[10] = ' ';
        Digits(c.Slice(11, 2), value.Hour); c[13] = ':';
        Digits(c.Slice(14, 2), value.Minute); c[16] = ':';
        Digits(c.Slice(17, 2), value.Second);
        writer.Write(c);
        return this;
    }

    /// <summary>A timestamp, or empty when null.</summary>
    public CsvRowWriter Time(DateTime? value) => value is { } v ? Time(v) : Empty();

    /// <summary>A date "yyyy-MM-dd" (patients.dod).</summary>
    public CsvRowWriter Date(DateTime? value)
    {
        Separator();
        if (value is not { } v) return this;
        Span<char> c = stackalloc char[10];
        Digits(c[..4], v.Year); c[4] = '-';
        Digits(c.Slice(5, 2), v.Month); c[7] = '-';
        Digits(c.Slice(8, 2), v.Day);
        writer.Write(c);
        return this;
    }

    static void Digits(Span<char> target, int value)
    {
        for (int i = target.Length - 1; i >= 0; i--)
        {
            target[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>A raw, already formatted line (headers).</summary>
    public void Line(string line)
    {
        writer.Write(line);
        writer.Write('\n');
        Rows++;
    }

    /// <summary>Ends the current row.</summary>
    public void End()
    {
        writer.Write('\n');
        rowStarted = false;
        Rows++;
    }

    /// <summary>Finishes the block and returns its bytes (a complete gzip member when compressed).</summary>
    public byte[] ToArray()
    {
        Close();
        return buffer.ToArray();
    }

    // StreamWriter opened with leaveOpen flushes its stream again on a second Dispose, which a
    // disposed GZipStream refuses: close exactly once.
    void Close()
    {
        if (finished) return;
        finished = true;
        writer.Dispose();
        gzip?.Dispose();
    }

    public void Dispose()
    {
        Close();
        buffer.Dispose();
    }
}
