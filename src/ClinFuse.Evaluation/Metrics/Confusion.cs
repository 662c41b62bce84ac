namespace ClinFuse.Evaluation.Metrics;

/// <summary>
/// Confusion counts of one label at the reference threshold, and the F1 variants the reference
/// reports. Counts are doubles because bootstrap resamples weight rows by how often they were drawn.
/// </summary>
internal readonly record struct Confusion(double TrueNegatives, double FalsePositives, double FalseNegatives, double TruePositives)
{
    /// <summary>
    /// The reference predicts with <c>np.round(p)</c> on float32, which rounds half to even, so
    /// exactly 0.5 becomes 0: a row is predicted positive iff its probability is above 0.5.
    /// </summary>
    public static bool PredictsPositive(double probability) => probability > 0.5;

    /// <summary>Counts over all rows.</summary>
    public static Confusion Count(ReadOnlySpan<double> probabilities, ReadOnlySpan<byte> truth)
    {
        double tn = 0, fp = 0, fn = 0, tp = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            bool predicted = PredictsPositive(probabilities[i]);
            if (truth[i] != 0) { if (predicted) tp++; else fn++; }
            else { if (predicted) fp++; else tn++; }
        }
        return new Confusion(tn, fp, fn, tp);
    }

    /// <summary>
    /// Each row's confusion cell (0 = TN, 1 = FP, 2 = FN, 3 = TP), so that resamples only need to
    /// add row counts per cell (<see cref="FromCells"/>).
    /// </summary>
    public static byte[] Cells(ReadOnlySpan<double> probabilities, ReadOnlySpan<byte> truth)
    {
        var cells = new byte[truth.Length];
        for (int i = 0; i < cells.Length; i++)
            cells[i] = (byte)((truth[i] != 0 ? 2 : 0) + (PredictsPositive(probabilities[i]) ? 1 : 0));
        return cells;
    }

    /// <summary>Counts of a resample from the rows' <see cref="Cells"/> and how often each row was drawn.</summary>
    public static Confusion FromCells(ReadOnlySpan<byte> cells, ReadOnlySpan<int> rowCounts)
    {
        Span<long> tally = stackalloc long[4];
        for (int i = 0; i < cells.Length; i++) tally[cells[i]] += rowCounts[i];
        return new Confusion(tally[0], tally[1], tally[2], tally[3]);
    }

    /// <summary>Rows counted.</summary>
    public double Total => TrueNegatives + FalsePositives + FalseNegatives + TruePositives;

    /// <summary>Fraction of rows predicted correctly.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (TrueNegatives + TruePositives) / Total;

    /// <summary>F1 of the positive class (scikit-learn <c>f1_score</c>, zero division → 0).</summary>
    public double F1Positive => F1(TruePositives, FalsePositives, FalseNegatives);

    /// <summary>F1 of the negative class, i.e. with the classes swapped.</summary>
    public double F1Negative => F1(TrueNegatives, FalseNegatives, FalsePositives);

    /// <summary>
    /// Two-class macro F1 as MF prints it ("F1 macro Average"): the mean of the F1 of the classes
    /// that occur in the truth or the predictions (a label never positive in either gives 1.0).
    /// </summary>
    public double F1MacroTwoClass
    {
        get
        {
            bool positiveOccurs = TruePositives + FalseNegatives + FalsePositives > 0;
            bool negativeOccurs = TrueNegatives + FalsePositives + FalseNegatives > 0;
            if (positiveOccurs && negativeOccurs) return (F1Positive + F1Negative) / 2;
            if (positiveOccurs) return F1Positive;
            return negativeOccurs ? F1Negative : double.NaN;
        }
    }

    /// <summary>Element-wise sum, for micro averages.</summary>
    public static Confusion operator +(Confusion a, Confusion b) => new(
        a.TrueNegatives + b.TrueNegatives, a.FalsePositives + b.FalsePositives,
        a.FalseNegatives + b.FalseNegatives, a.TruePositives + b.TruePositives);

    /// <summary>scikit-learn's formula: precision and recall with 0 for 0/0, then 2PR/(P+R) with 0 for 0/0.</summary>
    static double F1(double truePositives, double falsePositives, double falseNegatives)
    {
        double predicted = truePositives + falsePositives, actual = truePositives + falseNegatives;
        double precision = predicted == 0 ? 0 : truePositives / predicted;
        double recall = actual == 0 ? 0 : truePositives / actual;
        double denominator = precision + recall;
        return denominator == 0 ? 0 : 2 * precision * recall / denominator;
    }
}
