using ClinFuse.Evaluation.Metrics;

namespace ClinFuse.Evaluation;

/// <summary>A point estimate with its bootstrap confidence interval; null where undefined.</summary>
/// <param name="Value">The metric on the full set; null when undefined (e.g. a single-class label).</param>
/// <param name="CiLower">Lower bound of the interval; null without bootstrap or when undefined.</param>
/// <param name="CiUpper">Upper bound of the interval.</param>
/// <param name="ResamplesUsed">Resamples in which the metric was defined (and so entered the interval).</param>
public sealed record Estimate(double? Value, double? CiLower = null, double? CiUpper = null, int? ResamplesUsed = null)
{
    /// <summary>An estimate whose interval comes from <paramref name="resampleValues"/> (empty: no interval).</summary>
    public static Estimate From(double value, ReadOnlySpan<double> resampleValues)
    {
        if (double.IsNaN(value)) return new Estimate(Value: null);
        if (resampleValues.IsEmpty) return new Estimate(value);
        int used = 0;
        foreach (double v in resampleValues) if (!double.IsNaN(v)) used++;
        var interval = Percentile.ReferenceInterval(value, resampleValues);
        return new Estimate(value, NullIfNaN(interval.Lower), NullIfNaN(interval.Upper), used);
    }

    internal static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;
}

/// <summary>An average of a per-label metric, and how many labels it covers.</summary>
/// <param name="Macro">Plain mean over the labels with both classes (with its interval).</param>
/// <param name="Micro">One metric over all labels' rows pooled; null if the pool has one class.</param>
/// <param name="Weighted">Mean weighted by each covered label's number of positives.</param>
/// <param name="LabelsCovered">Labels that entered macro and weighted (both classes present).</param>
/// <param name="LabelsTotal">Labels in the set.</param>
public sealed record MetricAverages(Estimate Macro, double? Micro, double? Weighted, int LabelsCovered, int LabelsTotal);

/// <summary>Confusion counts at the reference threshold (predict 1 iff p &gt; 0.5).</summary>
public sealed record ConfusionCounts(long Tn, long Fp, long Fn, long Tp);

/// <summary>Every metric of one label.</summary>
/// <param name="Label">Label name.</param>
/// <param name="Positives">Rows with truth 1.</param>
/// <param name="Negatives">Rows with truth 0.</param>
/// <param name="Auroc">AUROC; null when only one class is present.</param>
/// <param name="Auprc">Average precision; null when only one class is present.</param>
/// <param name="F1PositiveClass">F1 of the positive class at the threshold.</param>
/// <param name="F1MacroTwoClass">Mean of negative- and positive-class F1 (MF's "F1 macro Average").</param>
/// <param name="Accuracy">Accuracy at the threshold.</param>
/// <param name="Confusion">Confusion counts.</param>
/// <param name="Calibration">Brier, ECE (two definitions) and reliability bins.</param>
public sealed record LabelMetrics(
    string Label, int Positives, int Negatives, Estimate Auroc, Estimate Auprc,
    double F1PositiveClass, double F1MacroTwoClass, double Accuracy, ConfusionCounts Confusion, CalibrationResult Calibration);

/// <summary>The summary a paper table row needs, and the other averages.</summary>
/// <param name="Auroc">AUROC averages (macro = the reference's <c>auroc_mean</c>).</param>
/// <param name="Auprc">Average-precision averages (macro = <c>auprc_mean</c>).</param>
/// <param name="F1Macro">The paper's "macro-F1": mean over labels of the two-class macro F1.</param>
/// <param name="F1Binary">The paper's "binary-F1": mean over labels of the positive-class F1.</param>
/// <param name="F1MicroPositiveClass">Positive-class F1 of all labels' confusion counts pooled.</param>
/// <param name="Accuracy">Mean over labels of the accuracy.</param>
/// <param name="Brier">Mean over labels of the Brier score.</param>
/// <param name="EceTopLabel">Mean over labels of the top-label ECE.</param>
/// <param name="EcePositiveClass">Mean over labels of the positive-class ECE.</param>
public sealed record SummaryMetrics(
    MetricAverages Auroc, MetricAverages Auprc, Estimate F1Macro, Estimate F1Binary, double F1MicroPositiveClass,
    double Accuracy, double Brier, double EceTopLabel, double EcePositiveClass);

/// <summary>A mean over a group of labels, as the reference prints for acute / mixed / chronic phenotypes.</summary>
public sealed record GroupSummary(string Group, int Labels, double? MeanAuroc, double? MeanAuprc, double[]? MeanCiAuroc, double[]? MeanCiAuprc);

/// <summary>The summary lines the reference writes to its results file.</summary>
/// <param name="AurocMean">Mean of the per-label AUROCs (the model-selection metric).</param>
/// <param name="AuprcMean">Mean of the per-label average precisions.</param>
/// <param name="MeanCiAuroc">[mean of lower bounds, mean of upper bounds] over labels.</param>
/// <param name="MeanCiAuprc">Same for average precision.</param>
/// <param name="Groups">Acute / mixed / chronic means for the 25 phenotypes; empty for other label sets.</param>
public sealed record ReferenceSummary(double? AurocMean, double? AuprcMean, double[]? MeanCiAuroc, double[]? MeanCiAuprc, IReadOnlyList<GroupSummary> Groups);

/// <summary>How the intervals were made.</summary>
/// <param name="Resamples">Resamples drawn (0: no intervals).</param>
/// <param name="Seed">Seed of the draws; null when explicit resamples were given.</param>
/// <param name="Confidence">Two-sided level, 0.95.</param>
/// <param name="Method">A one-line description of the interval.</param>
public sealed record BootstrapSettings(int Resamples, int? Seed, double Confidence, string Method);

/// <summary>The content of a metrics.json file.</summary>
/// <param name="Format">Format tag, <see cref="MetricsResult.FormatTag"/>.</param>
/// <param name="Model">Model name from the predictions file.</param>
/// <param name="Task">Task name from the predictions file.</param>
/// <param name="Split">Split name from the predictions file.</param>
/// <param name="Source">The predictions file evaluated.</param>
/// <param name="Samples">Rows evaluated.</param>
/// <param name="Labels">Label names.</param>
/// <param name="Threshold">The decision rule used for F1, accuracy and confusion counts.</param>
/// <param name="Bootstrap">Interval settings.</param>
/// <param name="Summary">Averages.</param>
/// <param name="PerLabel">Per-label metrics in label order.</param>
/// <param name="Reference">The reference's summary lines.</param>
/// <param name="Comparison">A paired comparison with another prediction set, when one was asked for.</param>
public sealed record MetricsResult(
    string Format, string? Model, string? Task, string? Split, string? Source, int Samples, IReadOnlyList<string> Labels,
    string Threshold, BootstrapSettings Bootstrap, SummaryMetrics Summary, IReadOnlyList<LabelMetrics> PerLabel, ReferenceSummary Reference,
    ComparisonResult? Comparison = null)
{
    /// <summary>Value of <see cref="Format"/> written by this version.</summary>
    public const string FormatTag = "clinfuse-metrics/1";

    /// <summary>Text of <see cref="Threshold"/>.</summary>
    public const string ThresholdRule = "predict 1 iff p > 0.5 (reference np.round, half to even: 0.5 -> 0)";
}
