using System.Globalization;
using System.Text;

namespace ClinFuse.Evaluation;

/// <summary>Plain-text tables of a <see cref="MetricsResult"/> for the terminal.</summary>
public static class MetricsText
{
    /// <summary>A value with its interval, e.g. "0.857 [0.831, 0.880]"; "undefined" for null.</summary>
    public static string Format(Estimate estimate, int digits = 3)
    {
        if (estimate.Value is null) return "undefined";
        var text = Number(estimate.Value, digits);
        return estimate.CiLower is null || estimate.CiUpper is null ? text : $"{text} [{Number(estimate.CiLower, digits)}, {Number(estimate.CiUpper, digits)}]";
    }

    /// <summary>A number with fixed digits, invariant culture; "undefined" for null.</summary>
    public static string Number(double? value, int digits = 3) =>
        value is null ? "undefined" : value.Value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Summary, per-label and (if present) comparison tables.</summary>
    public static string Render(MetricsResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"{result.Model ?? "(model not named)"} - {result.Task ?? "task not named"} - {result.Split ?? "split not named"} - {result.Samples} samples, {result.Labels.Count} label(s)");
        string ci = result.Bootstrap.Resamples > 0 ? $"95% CI from {result.Bootstrap.Resamples} bootstrap resamples (seed {result.Bootstrap.Seed})" : "no bootstrap";
        text.AppendLine(ci).AppendLine();
        var s = result.Summary;
        var rows = new List<string[]>
        {
            new[] { "metric", "value" },
            new[] { $"AUROC macro ({s.Auroc.LabelsCovered}/{s.Auroc.LabelsTotal} labels)", Format(s.Auroc.Macro) },
            new[] { $"AUPRC macro ({s.Auprc.LabelsCovered}/{s.Auprc.LabelsTotal} labels)", Format(s.Auprc.Macro) },
            new[] { "macro-F1 (two-class, mean over labels)", Format(s.F1Macro) },
            new[] { "binary-F1 (positive class, mean over labels)", Format(s.F1Binary) },
            new[] { "AUROC micro / weighted", $"{Number(s.Auroc.Micro)} / {Number(s.Auroc.Weighted)}" },
            new[] { "AUPRC micro / weighted", $"{Number(s.Auprc.Micro)} / {Number(s.Auprc.Weighted)}" },
            new[] { "accuracy", Number(s.Accuracy) },
            new[] { "Brier", Number(s.Brier, 4) },
            new[] { "ECE top-label / positive-class (15 bins)", $"{Number(s.EceTopLabel, 4)} / {Number(s.EcePositiveClass, 4)}" },
        };
        Table(text, rows);
        if (result.PerLabel.Count > 1)
        {
            text.AppendLine();
            var labels = new List<string[]> { new[] { "label", "pos/neg", "AUROC", "AUPRC", "F1 two-class", "F1 positive" } };
            foreach (var l in result.PerLabel)
                labels.Add([l.Label, $"{l.Positives}/{l.Negatives}", Format(l.Auroc), Format(l.Auprc), Number(l.F1MacroTwoClass), Number(l.F1PositiveClass)]);
            Table(text, labels);
        }
        if (result.Comparison is { } comparison)
        {
            text.AppendLine().AppendLine($"Paired comparison: {comparison.ModelA ?? "A"} minus {comparison.ModelB ?? "B"} ({comparison.Resamples} shared resamples)");
            var diff = new List<string[]> { new[] { "metric", "A", "B", "A - B [95% CI]", "P(A - B <= 0)" } };
            foreach (var d in comparison.Summary)
                diff.Add([d.Metric, Number(d.A), Number(d.B), Format(d.Difference), Number(d.FractionNotBetter)]);
            Table(text, diff);
        }
        return text.ToString();
    }

    static void Table(StringBuilder text, List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
            for (int c = 0; c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        for (int r = 0; r < rows.Count; r++)
        {
            text.AppendLine(string.Join("  ", rows[r].Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            if (r == 0) text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
    }
}
