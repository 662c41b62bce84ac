using ClinFuse.Core;

namespace ClinFuse.Data.Extraction;

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
    /// <summary>
    /// Share of the non-test subjects the seeded split puts in validation; null = <see cref="SubjectSplit.ValidationFraction"/>
    /// (MedFuse's 10 %). A small cohort needs a larger share to select epochs on.
    /// </summary>
    public double? ValidationFraction { get; init; }
    /// <summary>Also write the MedFuse directory layout (root/, in-hospital-mortality/, phenotyping/).</summary>
    public bool ExportMedFuse { get; init; }
    public bool Force { get; init; }
    /// <summary>
    /// Subject partitions the cleaned events are spilled to (default <see cref="EventSpill.DefaultPartitions"/>);
    /// 1 holds all events in memory at once. The output does not depend on it.
    /// </summary>
    internal int? EventPartitions { get; init; }
}

/// <summary>The <c>extract</c> stage's recipe as its manifest.json records it (<see cref="Core.Stages.StageManifest.ConfigAs{T}"/>).</summary>
/// <param name="Compat">"none" or "medfuse".</param>
/// <param name="Split">"seeded" or "medfuse".</param>
/// <param name="Seed">Seed of the seeded split.</param>
/// <param name="ExportMedFuse">Whether MedFuse's layout was written too.</param>
/// <param name="MimicIvLayout">"v1.0" or "v2+".</param>
/// <param name="MimicCxr">The MIMIC-CXR-JPG folder read (absolute); the prepare stage resolves image paths against it. Null: no images.</param>
/// <param name="ValidationFraction">Validation share of the non-test subjects of the seeded split; null (not written): the default 10 %.</param>
public sealed record ExtractConfig(
    [property: System.Text.Json.Serialization.JsonPropertyName("compat")] string Compat,
    [property: System.Text.Json.Serialization.JsonPropertyName("split")] string Split,
    [property: System.Text.Json.Serialization.JsonPropertyName("seed")] int Seed,
    [property: System.Text.Json.Serialization.JsonPropertyName("export_medfuse")] bool ExportMedFuse,
    [property: System.Text.Json.Serialization.JsonPropertyName("mimic_iv_layout")] string MimicIvLayout,
    [property: System.Text.Json.Serialization.JsonPropertyName("mimic_cxr")] string? MimicCxr,
    [property: System.Text.Json.Serialization.JsonPropertyName("validation_fraction"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    double? ValidationFraction = null)
{
    /// <summary>The <see cref="Compat"/> name as the enum.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public CompatMode CompatMode => Compat == "medfuse" ? CompatMode.MedFuse : CompatMode.None;

    /// <summary>The <see cref="Split"/> name as the enum.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SplitMode SplitMode => Split == "medfuse" ? SplitMode.MedFuse : SplitMode.Seeded;

    /// <summary>The recipe of an extraction with <paramref name="options"/> over a MIMIC-IV folder of <paramref name="layout"/>, reading images from <paramref name="mimicCxr"/>.</summary>
    public static ExtractConfig Of(ExtractionOptions options, string layout, string? mimicCxr) =>
        new(options.Compat.ToString().ToLowerInvariant(), options.Split.ToString().ToLowerInvariant(), options.Seed, options.ExportMedFuse, layout, mimicCxr,
            options.Split == SplitMode.Seeded ? options.ValidationFraction : null);
}
