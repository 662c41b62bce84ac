using ClinFuse.Data.Mimic;
using System.IO.Compression;
using System.Text;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Synthetic;

namespace ClinFuse.Data.Tests.Synthetic;

/// <summary>A parsed CSV table: header and rows of cells.</summary>
public sealed record CsvTable(string[] Header, List<string[]> Rows)
{
    public int Column(string name)
    {
        int i = Array.IndexOf(Header, name);
        Assert.True(i >= 0, $"column {name} missing from [{string.Join(',', Header)}]");
        return i;
    }

    /// <summary>Reads a .csv or .csv.gz (all gzip members) with RFC 4180 quoting.</summary>
    public static CsvTable Read(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var records = Parse(reader.ReadToEnd());
        return new CsvTable(records[0], records.GetRange(1, records.Count - 1));
    }

    static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\n')
            {
                fields.Add(cell.ToString()); cell.Clear();
                records.Add([.. fields]); fields.Clear();
            }
            else if (c != '\r') cell.Append(c);
        }
        if (cell.Length > 0 || fields.Count > 0) { fields.Add(cell.ToString()); records.Add([.. fields]); }
        return records;
    }
}

/// <summary>One cohort of 400 patients (no images, no filler chart items), generated once for the statistics and schema tests.</summary>
public sealed class SynthCohortFixture : IDisposable
{
    readonly TempFolder temp = Fixtures.TempFolder("clinfuse-synth-");

    public SynthCohortFixture()
    {
        Options = new SynthOptions(400, Seed: 7, Images: SynthImages.None, FillerChartRowsPerHour: 0);
        Result = SyntheticCohortGenerator.Generate(Options, temp.Combine("cohort"), force: false, new ComputeSettings(2), StageProgress.None);
    }

    public SynthOptions Options { get; }
    public SynthResult Result { get; }
    public string Root => Result.Folder;

    readonly Dictionary<string, CsvTable> cache = [];

    /// <summary>A table of the cohort by its path relative to the cohort folder.</summary>
    public CsvTable Table(string relativePath)
    {
        lock (cache)
        {
            if (!cache.TryGetValue(relativePath, out var table)) cache[relativePath] = table = CsvTable.Read(Path.Combine(Root, relativePath));
            return table;
        }
    }

    public CsvTable Table(SynthTable table) => Table(SynthTables.PathOf(table, MimicIvLayout.V2));

    public void Dispose() => temp.Dispose();
}
