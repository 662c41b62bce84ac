using ClinFuse.Core.Metrics;

namespace ClinFuse.Training.Metrics;

/// <summary>Validation metrics for model selection.</summary>
/// <param name="AurocMacro">Mean AUROC over labels that have both classes (NaN when none has).</param>
/// <param name="AuprcMacro">Mean average precision over the same labels.</param>
/// <param name="Auroc">Per-label AUROC (NaN for a label with one class only).</param>
/// <param name="Auprc">Per-label average precision (NaN likewise).</param>
internal sealed record RankScores(double AurocMacro, double AuprcMacro, double[] Auroc, double[] Auprc);

/// <summary>
/// The trainer's view of the evaluation library's ranking metrics (<see cref="RankedScores"/>:
/// scikit-learn AUROC with ties counted half, step-wise average precision) over the row-major
/// float tensors a validation pass produces. The final metrics, with confidence intervals, come
/// from <c>clinfuse evaluate</c>; these select the best epoch.
/// </summary>
internal static class RankMetrics
{
    /// <summary>Per-label and macro scores of row-major [n × labels] probabilities against 0/1 truth.</summary>
    public static RankScores Score(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> truth, int labels)
    {
        int n = probabilities.Length / labels;
        var auroc = new double[labels];
        var auprc = new double[labels];
        var scores = new double[n];
        var y = new byte[n];
        double sumRoc = 0, sumPr = 0;
        int defined = 0;
        for (int l = 0; l < labels; l++)
        {
            for (int i = 0; i < n; i++)
            {
                scores[i] = probabilities[i * labels + l];
                y[i] = truth[i * labels + l] > 0.5f ? (byte)1 : (byte)0;
            }
            (auroc[l], auprc[l]) = new RankedScores(scores, y).Rank();
            if (double.IsNaN(auroc[l])) continue;
            sumRoc += auroc[l];
            sumPr += auprc[l];
            defined++;
        }
        return defined == 0
            ? new RankScores(double.NaN, double.NaN, auroc, auprc)
            : new RankScores(sumRoc / defined, sumPr / defined, auroc, auprc);
    }

    /// <summary>Area under the ROC curve of one label; NaN unless both classes occur.</summary>
    public static double Auroc(ReadOnlySpan<float> scores, ReadOnlySpan<float> truth) => Score(scores, truth, 1).Auroc[0];

    /// <summary>Average precision of one label; NaN without positives.</summary>
    public static double AveragePrecision(ReadOnlySpan<float> scores, ReadOnlySpan<float> truth) => Score(scores, truth, 1).Auprc[0];
}
