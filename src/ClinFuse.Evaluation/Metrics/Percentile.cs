namespace ClinFuse.Evaluation.Metrics;

/// <summary>A two-sided confidence interval.</summary>
public readonly record struct Interval(double Lower, double Upper);

/// <summary>Percentiles and bootstrap intervals computed exactly as NumPy and the reference do.</summary>
public static class Percentile
{
    /// <summary>
    /// NumPy's default ("linear") percentile of <paramref name="sorted"/> (ascending):
    /// position h = (m−1)·q/100, interpolated with NumPy's two-sided lerp.
    /// </summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty) return double.NaN;
        double h = (sorted.Length - 1) * (q / 100.0);
        int below = (int)Math.Floor(h);
        if (below >= sorted.Length - 1) return sorted[^1];
        double t = h - below, a = sorted[below], b = sorted[below + 1], difference = b - a;
        // NumPy's _lerp interpolates from the nearer end to stay monotone and exact at t = 1.
        return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
    }

    /// <summary>
    /// The reference's 95 % bootstrap interval (MedFuse <c>computing_confidence_intervals</c>):
    /// delta = estimate − resample values; lower = estimate − P97.5(delta), upper = estimate − P2.5(delta).
    /// This equals the plain percentile interval up to rounding. NaN values (resamples where the metric
    /// is undefined) are left out; an empty set gives (NaN, NaN).
    /// </summary>
    public static Interval ReferenceInterval(double estimate, ReadOnlySpan<double> resampleValues, double confidence = 0.95)
    {
        var deltas = new List<double>(resampleValues.Length);
        foreach (double value in resampleValues)
            if (!double.IsNaN(value)) deltas.Add(estimate - value);
        if (deltas.Count == 0 || double.IsNaN(estimate)) return new Interval(double.NaN, double.NaN);
        var sorted = deltas.ToArray();
        Array.Sort(sorted);
        // Rounded so that 0.95 gives exactly the reference's 2.5 / 97.5.
        double tail = Math.Round((1 - confidence) * 50, 10);
        return new Interval(estimate - OfSorted(sorted, 100 - tail), estimate - OfSorted(sorted, tail));
    }
}
