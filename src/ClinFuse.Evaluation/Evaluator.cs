using ClinFuse.Evaluation.Metrics;

namespace ClinFuse.Evaluation;

/// <summary>Turns a prediction set into a <see cref="MetricsResult"/> (metrics.json).</summary>
public static class Evaluator
{
    /// <summary>Description of the interval written into every result.</summary>
    public const string IntervalMethod =
        "95% bootstrap, reference form: lower = v - P97.5(v - v_b), upper = v - P2.5(v - v_b) (NumPy linear percentile; equals the percentile interval); resamples where a metric is undefined are left out";

    /// <summary>Evaluates with <paramref name="resampleCount"/> seeded resamples (0: no intervals).</summary>
    public static MetricsResult Evaluate(PredictionSet set, int resampleCount, int seed, ParallelOptions? parallel = null, string? source = null)
    {
        var resamples = resampleCount > 0 ? BootstrapResamples.Draw(set.Count, resampleCount, seed) : null;
        return Evaluate(set, resamples, resamples is null ? null : seed, parallel, source);
    }

    /// <summary>Evaluates with the given resamples (null: no intervals).</summary>
    public static MetricsResult Evaluate(PredictionSet set, BootstrapResamples? resamples, int? seed, ParallelOptions? parallel = null, string? source = null)
    {
        var statistics = new SetStatistics(set, parallel);
        var full = statistics.Compute();
        var draws = resamples is null ? [] : statistics.ComputeResamples(resamples, parallel);

        int labels = set.Labels.Count;
        var perLabel = new LabelMetrics[labels];
        var column = new double[draws.Length];
        Confusion pooled = default;
        double accuracy = 0, brier = 0, eceTop = 0, ecePositive = 0;
        for (int l = 0; l < labels; l++)
        {
            var ranked = statistics.Ranked[l];
            for (int b = 0; b < draws.Length; b++) column[b] = draws[b].Auroc[l];
            var auroc = Estimate.From(full.Auroc[l], column);
            for (int b = 0; b < draws.Length; b++) column[b] = draws[b].Auprc[l];
            var auprc = Estimate.From(full.Auprc[l], column);
            var confusion = Confusion.Count(set.Probabilities[l], set.Truth[l]);
            var calibration = Calibration.Compute(set.Probabilities[l], set.Truth[l]);
            pooled += confusion;
            accuracy += confusion.Accuracy;
            brier += calibration.Brier;
            eceTop += calibration.EceTopLabel;
            ecePositive += calibration.EcePositiveClass;
            perLabel[l] = new LabelMetrics(set.Labels[l], ranked.Positives, ranked.Negatives, auroc, auprc,
                confusion.F1Positive, confusion.F1MacroTwoClass, confusion.Accuracy,
                new ConfusionCounts((long)confusion.TrueNegatives, (long)confusion.FalsePositives, (long)confusion.FalseNegatives, (long)confusion.TruePositives),
                calibration);
        }

        double[] Series(Func<SampleStatistics, double> pick)
        {
            var values = new double[draws.Length];
            for (int b = 0; b < draws.Length; b++) values[b] = pick(draws[b]);
            return values;
        }

        // Micro: all labels' rows pooled into one binary problem (with one label, that label itself).
        var micro = labels == 1 ? (Auroc: full.Auroc[0], AveragePrecision: full.Auprc[0]) : statistics.PooledScores().Rank();
        var summary = new SummaryMetrics(
            Averages(statistics, full.MacroAuroc, Series(s => s.MacroAuroc), full.Auroc, micro.Auroc),
            Averages(statistics, full.MacroAuprc, Series(s => s.MacroAuprc), full.Auprc, micro.AveragePrecision),
            Estimate.From(full.F1Macro, Series(s => s.F1Macro)),
            Estimate.From(full.F1Binary, Series(s => s.F1Binary)),
            pooled.F1Positive, accuracy / labels, brier / labels, eceTop / labels, ecePositive / labels);

        var bootstrap = new BootstrapSettings(resamples?.Count ?? 0, seed, 0.95, IntervalMethod);
        return new MetricsResult(MetricsResult.FormatTag, set.Metadata.Model, set.Metadata.Task, set.Metadata.Split, source,
            set.Count, set.Labels, MetricsResult.ThresholdRule, bootstrap, summary, perLabel, ReferenceLines(set, perLabel));
    }

    static MetricAverages Averages(SetStatistics statistics, double macro, double[] macroResamples, double[] perLabel, double micro)
    {
        double weightedSum = 0, weights = 0;
        foreach (int l in statistics.CoveredLabels)
        {
            weightedSum += statistics.Ranked[l].Positives * perLabel[l];
            weights += statistics.Ranked[l].Positives;
        }
        return new MetricAverages(Estimate.From(macro, macroResamples), Estimate.NullIfNaN(micro),
            weights == 0 ? null : weightedSum / weights, statistics.CoveredLabels.Count, statistics.Ranked.Count);
    }

    static ReferenceSummary ReferenceLines(PredictionSet set, LabelMetrics[] perLabel)
    {
        var all = new int[perLabel.Length];
        for (int l = 0; l < all.Length; l++) all[l] = l;
        var overall = Group("all", all, perLabel);
        var groups = new List<GroupSummary>();
        var groupOf = PhenotypeGroups.GroupsOf(set.Labels);
        if (groupOf is not null)
            foreach (var name in PhenotypeGroups.GroupNames)
                groups.Add(Group(name, Enumerable.Range(0, groupOf.Length).Where(l => groupOf[l] == name).ToArray(), perLabel));
        return new ReferenceSummary(overall.MeanAuroc, overall.MeanAuprc, overall.MeanCiAuroc, overall.MeanCiAuprc, groups);
    }

    /// <summary>Means of the point estimates and of the interval bounds over the labels in <paramref name="members"/> that are defined.</summary>
    static GroupSummary Group(string name, int[] members, LabelMetrics[] perLabel)
    {
        static (double? Mean, double[]? Ci) Means(IEnumerable<Estimate> estimates)
        {
            var defined = estimates.Where(e => e.Value is not null).ToList();
            if (defined.Count == 0) return (null, null);
            double? mean = defined.Average(e => e.Value!.Value);
            var withCi = defined.Where(e => e.CiLower is not null && e.CiUpper is not null).ToList();
            double[]? ci = withCi.Count == defined.Count ? [withCi.Average(e => e.CiLower!.Value), withCi.Average(e => e.CiUpper!.Value)] : null;
            return (mean, ci);
        }
        var auroc = Means(members.Select(l => perLabel[l].Auroc));
        var auprc = Means(members.Select(l => perLabel[l].Auprc));
        return new GroupSummary(name, members.Length, auroc.Mean, auprc.Mean, auroc.Ci, auprc.Ci);
    }
}
