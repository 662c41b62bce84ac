namespace ClinFuse.Data.Extraction;

/// <summary>Whose behaviour the extraction reproduces.</summary>
public enum CompatMode
{
    /// <summary>The reference's data bugs fixed (docs/extraction.md lists each fix).</summary>
    None,
    /// <summary>MedFuse's <c>mimic4extract</c>, bugs included, row for row where it is deterministic.</summary>
    MedFuse,
}

/// <summary>How subjects are assigned to train/validation/test.</summary>
public enum SplitMode
{
    /// <summary>A seeded subject-level split: 20 % test, then 10 % of the rest validation.</summary>
    Seeded,
    /// <summary>MedFuse's fixed lists (testset_iv.csv, valset_iv.csv); unlisted subjects go to train.</summary>
    MedFuse,
}

/// <summary>Configuration of one extraction run (everything that changes the output).</summary>
public sealed record ExtractionOptions
{
    public required string MimicIv { get; init; }
    public string? MimicCxr { get; init; }
    public required string Out { get; init; }
    public CompatMode Compat { get; init; } = CompatMode.None;
    public SplitMode Split { get; init; } = SplitMode.Seeded;
    public int Seed { get; init; } = 42;
    /// <summary>Also write the MedFuse directory layout (root/, in-hospital-mortality/, phenotyping/).</summary>
    public bool ExportMedFuse { get; init; }
    public bool Force { get; init; }
    /// <summary>
    /// Subject partitions the cleaned events are spilled to (default <see cref="EventSpill.DefaultPartitions"/>);
    /// 1 holds all events in memory at once. The output does not depend on it.
    /// </summary>
    internal int? EventPartitions { get; init; }
}
