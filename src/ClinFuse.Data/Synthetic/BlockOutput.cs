using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Synthetic;

/// <summary>What one block of consecutive patients produced: a byte block per table, image jobs, stay outcomes.</summary>
internal sealed class BlockOutput : IDisposable
{
    readonly CsvRowWriter[] writers;

    /// <summary>Empty writers for every table of <paramref name="layout"/>.</summary>
    public BlockOutput(MimicIvLayout layout)
    {
        var tables = Enum.GetValues<SynthTable>();
        writers = new CsvRowWriter[tables.Length];
        foreach (var t in tables) writers[(int)t] = new CsvRowWriter(SynthTables.IsCompressed(t, layout));
    }

    /// <summary>The writer of <paramref name="table"/>.</summary>
    public CsvRowWriter this[SynthTable table] => writers[(int)table];

    /// <summary>Radiographs to render.</summary>
    public List<CxrImageSpec> Images { get; } = [];

    /// <summary>Per-stay labels and oracle probabilities, for the oracle metrics.</summary>
    public List<StayOutcome> Stays { get; } = [];

    /// <summary>Rows per table, then the finished byte blocks (call once).</summary>
    public (long[] Rows, byte[][] Blocks) Finish()
    {
        var rows = new long[writers.Length];
        var blocks = new byte[writers.Length][];
        for (int i = 0; i < writers.Length; i++)
        {
            rows[i] = writers[i].Rows;
            blocks[i] = writers[i].ToArray();
        }
        return (rows, blocks);
    }

    public void Dispose()
    {
        foreach (var w in writers) w.Dispose();
    }
}

/// <summary>
/// One ICU stay's task eligibility, pairing, labels (index 0 = in-hospital mortality, 1..25 the
/// phenotypes) and oracle probabilities (<c>Probabilities[label * 4 + (int)OracleView]</c>).
/// </summary>
internal sealed record StayOutcome(bool IhmEligible, bool PhenoEligible, bool IhmPaired, bool PhenoPaired, double LosHours, byte[] Labels, double[] Probabilities);

/// <summary>A radiograph to render: where it goes, its size and its planted findings.</summary>
internal sealed record CxrImageSpec(
    string RelativePath, int Rows, int Columns, bool Lateral, bool Portable,
    double Opacity, double Effusion, double HeartSize, bool SupportDevices, int Patient, int ImageIndex);
