using ClinFuse.Core;
using ClinFuse.Evaluation.Metrics;

namespace ClinFuse.Evaluation;

/// <summary>The difference of one metric between two prediction sets on the same samples.</summary>
/// <param name="Metric">Metric name (auroc_macro, auprc_macro, f1_macro, f1_binary, or a per-label metric).</param>
/// <param name="A">Value of the first set.</param>
/// <param name="B">Value of the second set.</param>
/// <param name="Difference">A − B with its paired-bootstrap interval.</param>
/// <param name="FractionNotBetter">Share of resamples in which A − B ≤ 0 (a one-sided bootstrap p-value for "A is better").</param>
public sealed record MetricDifference(string Metric, double? A, double? B, Estimate Difference, double? FractionNotBetter);

/// <summary>Per-label differences.</summary>
public sealed record LabelDifference(string Label, MetricDifference Auroc, MetricDifference Auprc);

/// <summary>A paired bootstrap comparison: both sets evaluated on the same resampled rows.</summary>
/// <param name="ModelA">Model of the evaluated set.</param>
/// <param name="ModelB">Model of the other set.</param>
/// <param name="SourceB">File of the other set.</param>
/// <param name="Resamples">Resamples shared by both sets.</param>
/// <param name="Summary">Differences of the summary metrics.</param>
/// <param name="PerLabel">Differences per label.</param>
public sealed record ComparisonResult(string? ModelA, string? ModelB, string? SourceB, int Resamples, IReadOnlyList<MetricDifference> Summary, IReadOnlyList<LabelDifference> PerLabel);

/// <summary>Paired bootstrap comparison of two prediction sets of the same samples and labels.</summary>
public static class PairedComparison
{
    /// <summary>
    /// Compares <paramref name="a"/> with <paramref name="b"/> (rows matched by sample id, labels by
    /// name; the truth must agree) on the same <paramref name="resampleCount"/> seeded resamples.
    /// </summary>
    public static ComparisonResult Compare(PredictionSet a, PredictionSet b, int resampleCount, int seed, ParallelOptions? parallel = null, string? sourceB = null)
    {
        var aligned = Align(a, b, sourceB ?? "the other predictions file");
        var resamples = BootstrapResamples.Draw(a.Count, resampleCount, seed);
        var statsA = new SetStatistics(a, parallel);
        var statsB = new SetStatistics(aligned, parallel);
        var fullA = statsA.Compute();
        var fullB = statsB.Compute();
        var drawsA = statsA.ComputeResamples(resamples, parallel);
        var drawsB = statsB.ComputeResamples(resamples, parallel);

        MetricDifference Difference(string metric, Func<SampleStatistics, double> pick)
        {
            double valueA = pick(fullA), valueB = pick(fullB);
            var differences = new double[drawsA.Length];
            int notBetter = 0, defined = 0;
            for (int r = 0; r < differences.Length; r++)
            {
                differences[r] = pick(drawsA[r]) - pick(drawsB[r]);
                if (double.IsNaN(differences[r])) continue;
                defined++;
                if (differences[r] <= 0) notBetter++;
            }
            return new MetricDifference(metric, Estimate.NullIfNaN(valueA), Estimate.NullIfNaN(valueB),
                Estimate.From(valueA - valueB, differences), defined == 0 ? null : (double)notBetter / defined);
        }

        var summary = new[]
        {
            Difference("auroc_macro", s => s.MacroAuroc),
            Difference("auprc_macro", s => s.MacroAuprc),
            Difference("f1_macro", s => s.F1Macro),
            Difference("f1_binary", s => s.F1Binary),
        };
        var perLabel = new LabelDifference[a.Labels.Count];
        for (int l = 0; l < perLabel.Length; l++)
        {
            int label = l;
            perLabel[l] = new LabelDifference(a.Labels[l], Difference("auroc", s => s.Auroc[label]), Difference("auprc", s => s.Auprc[label]));
        }
        return new ComparisonResult(a.Metadata.Model, b.Metadata.Model, sourceB, resampleCount, summary, perLabel);
    }

    /// <summary><paramref name="b"/> reordered to <paramref name="a"/>'s rows and labels; fails when they are not the same samples and truth.</summary>
    static PredictionSet Align(PredictionSet a, PredictionSet b, string nameB)
    {
        if (a.Count != b.Count)
            throw new ClinFuseException($"{nameB} has {b.Count} samples, the evaluated file {a.Count}.", "A paired comparison needs predictions of the same samples.");
        var rowOfB = new Dictionary<string, int>(b.Count, StringComparer.Ordinal);
        for (int i = 0; i < b.Count; i++) rowOfB[b.SampleIds[i]] = i;
        var rows = new int[a.Count];
        for (int i = 0; i < a.Count; i++)
            if (!rowOfB.TryGetValue(a.SampleIds[i], out rows[i]))
                throw new ClinFuseException($"{nameB} has no sample '{a.SampleIds[i]}'.", "A paired comparison needs predictions of the same samples.");

        var truth = new byte[a.Labels.Count][];
        var probabilities = new double[a.Labels.Count][];
        for (int l = 0; l < a.Labels.Count; l++)
        {
            int labelB = IndexOf(b.Labels, a.Labels[l]);
            if (labelB < 0 || a.Labels.Count != b.Labels.Count)
                throw new ClinFuseException($"{nameB} has labels [{string.Join(", ", b.Labels)}], the evaluated file [{string.Join(", ", a.Labels)}].", "Compare predictions of the same task.");
            truth[l] = new byte[a.Count];
            probabilities[l] = new double[a.Count];
            for (int i = 0; i < a.Count; i++)
            {
                truth[l][i] = b.Truth[labelB][rows[i]];
                probabilities[l][i] = b.Probabilities[labelB][rows[i]];
                if (truth[l][i] != a.Truth[l][i])
                    throw new ClinFuseException($"{nameB}: sample '{a.SampleIds[i]}', label '{a.Labels[l]}' has truth {truth[l][i]}, the evaluated file {a.Truth[l][i]}.",
                        "Both files must come from the same split of the same cohort.");
            }
        }
        return new PredictionSet(a.SampleIds, a.Labels, truth, probabilities, b.Metadata);
    }

    static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (int i = 0; i < labels.Count; i++) if (labels[i] == label) return i;
        return -1;
    }
}
