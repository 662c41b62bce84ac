using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>The golden set's canonical CSV digests (canon.py): rows sorted, cells as written or numbers normalised.</summary>
public static partial class GoldenDigest
{
    [GeneratedRegex(@"^[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")]
    private static partial Regex Number();

    /// <summary>RFC-4180 records of a file (Python csv module semantics for the files at hand).</summary>
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            any = true;
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
                continue;
            }
            switch (ch)
            {
                case '"': quoted = true; break;
                case ',': cells.Add(cell.ToString()); cell.Clear(); break;
                case '\r': break;
                case '\n':
                    cells.Add(cell.ToString()); cell.Clear();
                    records.Add([.. cells]); cells.Clear(); any = false;
                    break;
                default: cell.Append(ch); break;
            }
        }
        if (any) { cells.Add(cell.ToString()); records.Add([.. cells]); }
        return records;
    }

    static string NormaliseCell(string c)
    {
        if (!Number().IsMatch(c)) return c;
        var s = double.Parse(c, CultureInfo.InvariantCulture).ToString("G10", CultureInfo.InvariantCulture).Replace("E", "e");
        return s == "-0" ? "0" : s;
    }

    /// <summary>sha256_sorted (or sha256_num10g with <paramref name="numeric"/>) of a file's bytes.</summary>
    public static string Sorted(byte[] data, bool numeric = false)
    {
        var records = Parse(Encoding.UTF8.GetString(data));
        if (records.Count == 0) return Hex("");
        var lines = records.Select(r => string.Join('\u001f', numeric ? r.Select(NormaliseCell) : r)).ToList();
        var body = lines.Skip(1).ToList();
        body.Sort(string.CompareOrdinal);
        var sb = new StringBuilder(lines[0]).Append('\n');
        foreach (var l in body) sb.Append(l).Append('\n');
        return Hex(sb.ToString());
    }

    /// <summary>sha256_raw of a file's bytes.</summary>
    public static string Raw(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>One row of the golden manifest.csv.</summary>
    public sealed record Entry(string Stage, string Partition, string SubjectId, bool Exact, string File, int Rows, string Raw, string Sorted, string Num10g);

    /// <summary>Reads the golden manifest.</summary>
    public static List<Entry> Manifest(string path) =>
        [.. Parse(File.ReadAllText(path)).Skip(1).Select(r => new Entry(r[0], r[1], r[2], r[3] == "1", r[4], int.Parse(r[5], CultureInfo.InvariantCulture), r[7], r[8], r[9]))];
}
