using ClinFuse.Core;

namespace ClinFuse.Data.Mimic;

/// <summary>Which MIMIC-IV folder layout a source uses.</summary>
public enum MimicIvLayout
{
    /// <summary>v1.0: core/ (patients, admissions with <c>ethnicity</c>), hosp/, icu/.</summary>
    V1,
    /// <summary>v2.x / v3.x: hosp/ (patients, admissions with <c>race</c>), icu/; <c>clinfuse synth</c> writes v2.2's form (csv.gz, provider and caregiver columns).</summary>
    V2,
}

/// <summary>
/// The MIMIC-IV tables the extraction reads, located on disk. Each table may be plain <c>.csv</c>
/// or <c>.csv.gz</c>; the layout is detected from the folders present.
/// </summary>
internal sealed record MimicIvSource(
    string Root,
    MimicIvLayout Layout,
    string Patients,
    string Admissions,
    string IcuStays,
    string DiagnosesIcd,
    string DIcdDiagnoses,
    string ChartEvents,
    string LabEvents)
{
    /// <summary>The column of admissions holding race/ethnicity in this layout.</summary>
    public string EthnicityColumn => Layout == MimicIvLayout.V1 ? "ethnicity" : "race";

    /// <summary>Every table, by MIMIC name (module/table).</summary>
    public IReadOnlyList<(string Name, string Path)> Tables =>
    [
        ("patients", Patients), ("admissions", Admissions), ("icu/icustays", IcuStays),
        ("hosp/diagnoses_icd", DiagnosesIcd), ("hosp/d_icd_diagnoses", DIcdDiagnoses),
        ("icu/chartevents", ChartEvents), ("hosp/labevents", LabEvents),
    ];

    /// <summary>
    /// Finds the tables under <paramref name="root"/>. Throws one message listing everything that is
    /// missing, so a user fixes the folder in one go.
    /// </summary>
    public static MimicIvSource Detect(string root)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new ClinFuseException($"--mimic-iv: the folder {full} does not exist.", "Point --mimic-iv at the MIMIC-IV folder that holds hosp/ and icu/.");
        // Users often point one level too high (physionet.org/files/mimiciv/) or too low (hosp/).
        if (!Directory.Exists(Path.Combine(full, "hosp")) && !Directory.Exists(Path.Combine(full, "core")))
        {
            var versions = Directory.Exists(full)
                ? Directory.EnumerateDirectories(full).Where(d => Directory.Exists(Path.Combine(d, "hosp"))).Select(Path.GetFileName).ToList()
                : [];
            var name = Path.GetFileName(full);
            var hint = versions.Count > 0
                ? $"It holds version folders ({string.Join(", ", versions)}); point --mimic-iv at one of them."
                : name is "hosp" or "icu" or "core"
                    ? $"That is the {name}/ module; point --mimic-iv at its parent folder."
                    : "Point --mimic-iv at the MIMIC-IV folder that holds hosp/ and icu/ (v1.0 also core/).";
            throw new ClinFuseException($"--mimic-iv: {full} is not a MIMIC-IV folder (no hosp/ or core/ inside).", hint);
        }
        var layout = Directory.Exists(Path.Combine(full, "core")) ? MimicIvLayout.V1 : MimicIvLayout.V2;
        var demographics = layout == MimicIvLayout.V1 ? "core" : "hosp";
        var missing = new List<string>();
        string Find(string module, string table)
        {
            var found = TableFile.Find(Path.Combine(full, module), table, "--mimic-iv");
            if (found is null) missing.Add($"{module}/{table}.csv[.gz]");
            return found ?? "";
        }
        var source = new MimicIvSource(full, layout,
            Find(demographics, "patients"), Find(demographics, "admissions"), Find("icu", "icustays"),
            Find("hosp", "diagnoses_icd"), Find("hosp", "d_icd_diagnoses"), Find("icu", "chartevents"), Find("hosp", "labevents"));
        if (missing.Count > 0)
            throw new ClinFuseException(
                $"--mimic-iv: {full} (MIMIC-IV {(layout == MimicIvLayout.V1 ? "v1.0" : "v2.x/v3.x")} layout) lacks {string.Join(", ", missing)}.",
                "Download the complete hosp and icu modules from PhysioNet (csv or csv.gz).");
        return source;
    }
}

/// <summary>Finds one table as <c>NAME.csv.gz</c> or <c>NAME.csv</c>; both present is ambiguous and refused.</summary>
static class TableFile
{
    public static string? Find(string folder, string table, string option)
    {
        string gz = Path.Combine(folder, table + ".csv.gz"), csv = Path.Combine(folder, table + ".csv");
        bool hasGz = File.Exists(gz), hasCsv = File.Exists(csv);
        if (hasGz && hasCsv)
            throw new ClinFuseException($"{option}: both {csv} and {gz} exist; it is not clear which one is the table.",
                "Remove (or move away) the one that is not the complete download.");
        return hasGz ? gz : hasCsv ? csv : null;
    }
}

/// <summary>The MIMIC-CXR-JPG metadata table (and, optionally, the CheXpert labels), located on disk.</summary>
internal sealed record MimicCxrSource(string Root, string Metadata)
{
    /// <summary>Finds <c>mimic-cxr-2.0.0-metadata.csv[.gz]</c> in <paramref name="root"/>.</summary>
    public static MimicCxrSource Detect(string root)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new ClinFuseException($"--mimic-cxr: the folder {full} does not exist.", "Point --mimic-cxr at the MIMIC-CXR-JPG folder, or leave it out to extract without images.");
        if (TableFile.Find(full, "mimic-cxr-2.0.0-metadata", "--mimic-cxr") is { } metadata) return new MimicCxrSource(full, metadata);
        throw new ClinFuseException($"--mimic-cxr: {full} lacks mimic-cxr-2.0.0-metadata.csv[.gz].",
            "Point --mimic-cxr at the MIMIC-CXR-JPG 2.0.0 folder (it holds the metadata table and files/).");
    }
}
