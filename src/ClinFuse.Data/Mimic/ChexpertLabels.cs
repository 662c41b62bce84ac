using System.Globalization;
using ClinFuse.Core;

namespace ClinFuse.Data.Mimic;

/// <summary>
/// The CheXpert labeller's findings of MIMIC-CXR-JPG (<c>mimic-cxr-2.0.0-chexpert.csv[.gz]</c>), one
/// row per study, as training targets for the radiology pre-training of the CXR encoder. The
/// labeller writes 1.0 (positive), 0.0 (negative), −1.0 (uncertain) or nothing (not mentioned);
/// like MedFuse (U-Zeros), only a positive becomes 1 and everything else 0.
/// </summary>
public static class ChexpertLabels
{
    /// <summary>The 14 labels in the table's column order.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Enlarged Cardiomediastinum", "Fracture",
        "Lung Lesion", "Lung Opacity", "No Finding", "Pleural Effusion", "Pleural Other", "Pneumonia",
        "Pneumothorax", "Support Devices",
    ];

    /// <summary>The table's file name without extension.</summary>
    public const string TableName = "mimic-cxr-2.0.0-chexpert";

    /// <summary>The table in the MIMIC-CXR-JPG folder <paramref name="cxrRoot"/>, or null when it has none.</summary>
    public static string? Find(string cxrRoot)
    {
        foreach (var ext in new[] { ".csv.gz", ".csv" })
        {
            var path = Path.Combine(cxrRoot, TableName + ext);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>The training target of one labeller cell: 1 for a positive finding, 0 for negative, uncertain (−1) or blank.</summary>
    /// <exception cref="FormatException">The cell is none of the labeller's values.</exception>
    public static float Target(ReadOnlySpan<char> cell)
    {
        if (cell.IsWhiteSpace()) return 0;
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value is not (1 or 0 or -1))
            throw new FormatException($"'{cell}' is not a CheXpert label (1.0, 0.0, -1.0 or empty)");
        return value == 1 ? 1 : 0;
    }

    /// <summary>Every study's 14 targets, by study id.</summary>
    public static Dictionary<long, float[]> Read(string path, CancellationToken cancellationToken = default)
    {
        var labels = new Dictionary<long, float[]>();
        CsvSource.ForEachRow(path, ["study_id", .. Names], [], (row, c) =>
        {
            long study = CsvSource.Id(row, c[0], "study_id") ?? throw new FormatException("study_id is empty");
            var targets = new float[Names.Count];
            for (int k = 0; k < targets.Length; k++)
            {
                try { targets[k] = Target(row[c[k + 1]].Span); }
                catch (FormatException e) { throw new FormatException($"{Names[k]}: {e.Message}"); }
            }
            if (!labels.TryAdd(study, targets))
                throw new FormatException($"study {study} appears twice");
        }, cancellationToken: cancellationToken);
        return labels;
    }
}
