namespace ClinFuse.Training.Metrics;

/// <summary>Validation metrics for model selection.</summary>
/// <param name="AurocMacro">Mean AUROC over labels that have both classes (NaN when none has).</param>
/// <param name="AuprcMacro">Mean average precision over the same labels.</param>
/// <param name="Auroc">Per-label AUROC (NaN for a label with one class only).</param>
/// <param name="Auprc">Per-label average precision (NaN likewise).</param>
public sealed record RankScores(double AurocMacro, double AuprcMacro, double[] Auroc, double[] Auprc);

/// <summary>
/// Threshold-free ranking metrics as scikit-learn computes them: AUROC with ties counted as half
/// (Mann–Whitney), average precision as the step-wise sum Σ (R_n − R_{n−1}) P_n over distinct scores.
/// The evaluation library reports the final metrics with confidence intervals; these select models.
/// </summary>
public static class RankMetrics
{
    /// <summary>Per-label and macro scores of row-major [n × labels] probabilities against 0/1 truth.</summary>
    public static RankScores Score(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> truth, int labels)
    {
        int n = probabilities.Length / labels;
        var auroc = new double[labels];
        var auprc = new double[labels];
        var scores = new float[n];
        var y = new float[n];
        double sumRoc = 0, sumPr = 0;
        int defined = 0;
        for (int l = 0; l < labels; l++)
        {
            for (int i = 0; i < n; i++)
            {
                scores[i] = probabilities[i * labels + l];
                y[i] = truth[i * labels + l];
            }
            auroc[l] = Auroc(scores, y);
            auprc[l] = AveragePrecision(scores, y);
            if (double.IsNaN(auroc[l])) continue;
            sumRoc += auroc[l];
            sumPr += auprc[l];
            defined++;
        }
        return defined == 0
            ? new RankScores(double.NaN, double.NaN, auroc, auprc)
            : new RankScores(sumRoc / defined, sumPr / defined, auroc, auprc);
    }

    /// <summary>Area under the ROC curve; NaN unless both classes occur.</summary>
    public static double Auroc(ReadOnlySpan<float> scores, ReadOnlySpan<float> truth)
    {
        var order = SortedDescending(scores);
        long positives = 0, negatives = 0;
        foreach (float t in truth)
            if (t > 0.5f) positives++; else negatives++;
        if (positives == 0 || negatives == 0) return double.NaN;
        // Walk groups of tied scores from the top: each positive outranks the negatives below it, ties count half.
        double area = 0;
        long negativesAbove = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            long groupPos = 0, groupNeg = 0;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
            {
                if (truth[order[end]] > 0.5f) groupPos++; else groupNeg++;
                end++;
            }
            area += groupPos * (negatives - negativesAbove - groupNeg + 0.5 * groupNeg);
            negativesAbove += groupNeg;
            start = end;
        }
        return area / ((double)positives * negatives);
    }

    /// <summary>Average precision; NaN without positives.</summary>
    public static double AveragePrecision(ReadOnlySpan<float> scores, ReadOnlySpan<float> truth)
    {
        var order = SortedDescending(scores);
        long positives = 0;
        foreach (float t in truth) if (t > 0.5f) positives++;
        if (positives == 0) return double.NaN;
        double ap = 0;
        long tp = 0, seen = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            long groupPos = 0;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
            {
                if (truth[order[end]] > 0.5f) groupPos++;
                end++;
            }
            tp += groupPos;
            seen += end - start;
            ap += (double)groupPos / positives * ((double)tp / seen);
            start = end;
        }
        return ap;
    }

    static int[] SortedDescending(ReadOnlySpan<float> scores)
    {
        var order = new int[scores.Length];
        var keys = new float[scores.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
            keys[i] = -scores[i];
        }
        Array.Sort(keys, order);
        return order;
    }
}
