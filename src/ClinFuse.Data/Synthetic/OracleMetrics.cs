using ClinFuse.Core.Tasks;
using ClinFuse.Core.Metrics;

namespace ClinFuse.Data.Synthetic;

/// <summary>AUROC and AUPRC of one oracle view on one label.</summary>
public sealed record ViewScores(double Auroc, double Auprc);

/// <summary>Oracle scores of one label under each <see cref="OracleView"/>.</summary>
public sealed record LabelOracle(string Label, int Stays, int Positives, double Prevalence,
    ViewScores Oracle, ViewScores Fused, ViewScores SeriesOnly, ViewScores ImageOnly);

/// <summary>Oracle scores of one task on its eligible stays, and on the paired subset.</summary>
public sealed record TaskOracle(string Task, int Stays, int PairedStays, double PairedFraction,
    double MacroAurocOracle, double MacroAurocFused, double MacroAurocSeriesOnly, double MacroAurocImageOnly,
    IReadOnlyList<LabelOracle> Labels, IReadOnlyList<LabelOracle> PairedLabels);

/// <summary>truth/oracle_metrics.json: what a perfect model could reach on this cohort.</summary>
public sealed record OracleReport(int IcuStays, double FractionStaysUnder48h, TaskOracle InHospitalMortality, TaskOracle Phenotyping);

/// <summary>The oracle's scores per label, ranked by <see cref="RankedScores"/> (ties as scikit-learn handles them).</summary>
internal static class OracleMetrics
{
    /// <summary>Scores every label of both tasks on the eligible (and paired) stays.</summary>
    public static OracleReport Compute(IReadOnlyList<StayOutcome> stays)
    {
        int under48 = 0;
        foreach (var s in stays) if (s.LosHours < 48) under48++;
        var ihm = Task(ClinicalTasks.Name(ClinicalTask.InHospitalMortality), stays, s => s.IhmEligible, s => s.IhmPaired, [0], [CohortModel.Mortality.Name]);
        var phenoIndex = new int[25];
        var phenoNames = new string[25];
        for (int k = 0; k < 25; k++) { phenoIndex[k] = k + 1; phenoNames[k] = CohortModel.Phenotypes[k].Name; }
        var pheno = Task(ClinicalTasks.Name(ClinicalTask.Phenotyping), stays, s => s.PhenoEligible, s => s.PhenoPaired, phenoIndex, phenoNames);
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
        ViewScores View(OracleView view)
        {
            var p = new double[cohort.Count];
            for (int i = 0; i < p.Length; i++) p[i] = cohort[i].Probabilities[label * 4 + (int)view];
            var (auroc, auprc) = new RankedScores(p, y).Rank();
            return new ViewScores(auroc, auprc);
        }
        return new LabelOracle(name, cohort.Count, positives, cohort.Count == 0 ? double.NaN : (double)positives / cohort.Count,
            View(OracleView.Full), View(OracleView.Fused), View(OracleView.SeriesOnly), View(OracleView.ImageOnly));
    }
}
