namespace ClinFuse.Core.Metrics;

/// <summary>
/// One label's scores sorted once (descending) with its tie groups, so that AUROC and average
/// precision of the full set and of every bootstrap resample are single O(n) walks. A resample is
/// given as a count per original row (how often the row was drawn); rows drawn together with equal
/// scores form one tie group, exactly as scikit-learn sees duplicated rows.
/// </summary>
public sealed class RankedScores
{
    readonly int[] _order;
    readonly int[] _groupEnds;
    readonly byte[] _truth;

    /// <summary>Sorts <paramref name="scores"/> descending; <paramref name="truth"/> holds 0/1 per row.</summary>
    public RankedScores(ReadOnlySpan<double> scores, ReadOnlySpan<byte> truth)
    {
        if (scores.Length != truth.Length) throw new ArgumentException("scores and truth differ in length.");
        int n = scores.Length;
        _truth = truth.ToArray();
        _order = new int[n];
        var keys = new double[n];
        for (int i = 0; i < n; i++) { _order[i] = i; keys[i] = -scores[i]; }
        Array.Sort(keys, _order);
        var ends = new List<int>();
        for (int i = 1; i <= n; i++)
            if (i == n || keys[i] != keys[i - 1]) ends.Add(i);
        _groupEnds = [.. ends];
        for (int i = 0; i < n; i++) { Positives += _truth[i]; }
        Negatives = n - Positives;
    }

    /// <summary>Rows in the full set.</summary>
    public int Count => _truth.Length;

    /// <summary>Positive rows in the full set.</summary>
    public int Positives { get; }

    /// <summary>Negative rows in the full set.</summary>
    public int Negatives { get; }

    /// <summary>
    /// Area under the ROC curve with ties counted half (scikit-learn <c>roc_auc_score</c>);
    /// NaN when the (re)sample holds a single class.
    /// </summary>
    /// <param name="rowCounts">Times each row occurs (bootstrap); empty for the full set.</param>
    public double Auroc(ReadOnlySpan<int> rowCounts = default) => Rank(rowCounts).Auroc;

    /// <summary>
    /// Step-wise average precision (scikit-learn <c>average_precision_score</c>): one threshold per
    /// distinct score, AP = Σ (R_t − R_prev)·P_t. NaN when the (re)sample has no positive.
    /// </summary>
    /// <param name="rowCounts">Times each row occurs (bootstrap); empty for the full set.</param>
    public double AveragePrecision(ReadOnlySpan<int> rowCounts = default) => Rank(rowCounts).AveragePrecision;

    /// <summary>
    /// AUROC and average precision in one walk over the tie groups (the bootstrap's hot loop).
    /// AUROC: each negative counts the positives ranked above it plus half of those tied with it.
    /// AP: each group with positives adds (recall gain) × (precision at that threshold).
    /// </summary>
    /// <param name="rowCounts">Times each row occurs (bootstrap); empty for the full set.</param>
    public (double Auroc, double AveragePrecision) Rank(ReadOnlySpan<int> rowCounts = default)
    {
        bool weighted = !rowCounts.IsEmpty;
        double totalPositives = 0;
        if (weighted)
        {
            for (int row = 0; row < _truth.Length; row++)
                if (_truth[row] != 0) totalPositives += rowCounts[row];
        }
        else totalPositives = Positives;

        double positivesAbove = 0, negativesAbove = 0, area = 0, previousRecall = 0, ap = 0;
        int start = 0;
        foreach (int end in _groupEnds)
        {
            double groupPositives = 0, groupNegatives = 0;
            for (int k = start; k < end; k++)
            {
                int row = _order[k];
                double weight = weighted ? rowCounts[row] : 1;
                if (_truth[row] != 0) groupPositives += weight; else groupNegatives += weight;
            }
            start = end;
            area += groupNegatives * (positivesAbove + 0.5 * groupPositives);
            positivesAbove += groupPositives;
            negativesAbove += groupNegatives;
            if (groupPositives == 0) continue;
            double recall = positivesAbove / totalPositives;
            ap += (recall - previousRecall) * (positivesAbove / (positivesAbove + negativesAbove));
            previousRecall = recall;
        }
        double auroc = totalPositives == 0 || negativesAbove == 0 ? double.NaN : area / (totalPositives * negativesAbove);
        return (auroc, totalPositives == 0 ? double.NaN : ap);
    }
}
