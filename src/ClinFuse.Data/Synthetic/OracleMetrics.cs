namespace ClinFuse.Data.Synthetic;

/// <summary>AUROC and AUPRC of one predictor on one label.</summary>
public sealed record RankMetrics(double Auroc, double Auprc);

/// <summary>Oracle scores of one label under each <see cref="OracleView"/>.</summary>
public sealed record LabelOracle(string Label, int Stays, int Positives, double Prevalence,
    RankMetrics Oracle, RankMetrics Fused, RankMetrics SeriesOnly, RankMetrics ImageOnly);

/// <summary>Oracle scores of one task on its eligible stays, and on the paired subset.</summary>
public sealed record TaskOracle(string Task, int Stays, int PairedStays, double PairedFraction,
    double MacroAurocOracle, double MacroAurocFused, double MacroAurocSeriesOnly, double MacroAurocImageOnly,
    IReadOnlyList<LabelOracle> Labels, IReadOnlyList<LabelOracle> PairedLabels);

/// <summary>truth/oracle_metrics.json: what a perfect model could reach on this cohort.</summary>
public sealed record OracleReport(int IcuStays, double FractionStaysUnder48h, TaskOracle InHospitalMortality, TaskOracle Phenotyping);

/// <summary>Ranking metrics with ties handled as scikit-learn does.</summary>
public static class OracleMetrics
{
    /// <summary>Area under the ROC curve (ties count one half); NaN when a class is absent.</summary>
    public static double Auroc(ReadOnlySpan<double> scores, ReadOnlySpan<byte> labels)
    {
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);
        double rankSumPositive = 0;
        long positives = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && keys[j + 1] == keys[i]) j++;
            double midRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                if (labels[order[k]] != 0) { rankSumPositive += midRank; positives++; }
            i = j + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Average precision (step-wise area under the precision-recall curve, as sklearn's average_precision_score).</summary>
    public static double Auprc(ReadOnlySpan<double> scores, ReadOnlySpan<byte> labels)
    {
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = new double[n];
        for (int i = 0; i < n; i++) keys[i] = -scores[i];
        Array.Sort(keys, order);
        long totalPositives = 0;
        foreach (var l in labels) totalPositives += l != 0 ? 1 : 0;
        if (totalPositives == 0) return double.NaN;
        double ap = 0, previousRecall = 0;
        long truePositives = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && keys[j + 1] == keys[i]) j++;
            for (int k = i; k <= j; k++) truePositives += labels[order[k]] != 0 ? 1 : 0;
            double recall = (double)truePositives / totalPositives;
            double precision = (double)truePositives / (j + 1);
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j + 1;
        }
        return ap;
    }

    /// <summary>Scores every label of both tasks on the eligible (and paired) stays.</summary>
    public static OracleReport Compute(IReadOnlyList<StayOutcome> stays)
    {
        int under48 = 0;
        foreach (var s in stays) if (s.LosHours < 48) under48++;
        var ihm = Task("in-hospital-mortality", stays, s => s.IhmEligible, s => s.IhmPaired, [0], [CohortModel.Mortality.Name]);
        var phenoIndex = new int[25];
        var phenoNames = new string[25];
        for (int k = 0; k < 25; k++) { phenoIndex[k] = k + 1; phenoNames[k] = CohortModel.Phenotypes[k].Name; }
        var pheno = Task("phenotyping", stays, s => s.PhenoEligible, s => s.PhenoPaired, phenoIndex, phenoNames);
        return new OracleReport(stays.Count, stays.Count == 0 ? double.NaN : (double)under48 / stays.Count, ihm, pheno);
    }

    static TaskOracle Task(string name, IReadOnlyList<StayOutcome> stays, Func<StayOutcome, bool> eligible, Func<StayOutcome, bool> paired, int[] labelIndex, string[] labelNames)
    {
        var cohort = new List<StayOutcome>();
        foreach (var s in stays) if (eligible(s)) cohort.Add(s);
        var pairedCohort = cohort.FindAll(s => paired(s));
        var labels = new LabelOracle[labelIndex.Length];
        var pairedLabels = new LabelOracle[labelIndex.Length];
        for (int i = 0; i < labelIndex.Length; i++)
        {
            labels[i] = Label(labelNames[i], cohort, labelIndex[i]);
            pairedLabels[i] = Label(labelNames[i], pairedCohort, labelIndex[i]);
        }
        return new TaskOracle(name, cohort.Count, pairedCohort.Count, cohort.Count == 0 ? double.NaN : (double)pairedCohort.Count / cohort.Count,
            Mean(labels, l => l.Oracle.Auroc), Mean(labels, l => l.Fused.Auroc), Mean(labels, l => l.SeriesOnly.Auroc), Mean(labels, l => l.ImageOnly.Auroc),
            labels, pairedLabels);
    }

    static double Mean(LabelOracle[] labels, Func<LabelOracle, double> pick)
    {
        double sum = 0;
        int n = 0;
        foreach (var l in labels)
        {
            double v = pick(l);
            if (!double.IsNaN(v)) { sum += v; n++; }
        }
        return n == 0 ? double.NaN : sum / n;
    }

    static LabelOracle Label(string name, List<StayOutcome> cohort, int label)
    {
        var y = new byte[cohort.Count];
        int positives = 0;
        for (int i = 0; i < y.Length; i++) { y[i] = cohort[i].Labels[label]; positives += y[i]; }
        RankMetrics View(OracleView view)
        {
            var p = new double[cohort.Count];
            for (int i = 0; i < p.Length; i++) p[i] = cohort[i].Probabilities[label * 4 + (int)view];
            return new RankMetrics(Auroc(p, y), Auprc(p, y));
        }
        return new LabelOracle(name, cohort.Count, positives, cohort.Count == 0 ? double.NaN : (double)positives / cohort.Count,
            View(OracleView.Full), View(OracleView.Fused), View(OracleView.SeriesOnly), View(OracleView.ImageOnly));
    }
}
