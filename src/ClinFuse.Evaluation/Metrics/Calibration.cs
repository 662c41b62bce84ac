namespace ClinFuse.Evaluation.Metrics;

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Bin">0-based bin number.</param>
/// <param name="Lower">Lower bin edge.</param>
/// <param name="Upper">Upper bin edge.</param>
/// <param name="Count">Rows in the bin.</param>
/// <param name="MeanScore">Mean predicted probability (or confidence) in the bin; null when empty.</param>
/// <param name="ObservedFraction">Fraction of positives (or of correct predictions) in the bin; null when empty.</param>
public sealed record CalibrationBin(int Bin, double Lower, double Upper, int Count, double? MeanScore, double? ObservedFraction);

/// <summary>Calibration of one binary label: two ECE definitions, Brier score and the diagram data.</summary>
/// <param name="Brier">Mean squared error of the probabilities.</param>
/// <param name="EceTopLabel">Guo et al. (2017) ECE on max(p, 1−p), bins (k/B, (k+1)/B].</param>
/// <param name="EcePositiveClass">Reliability-diagram ECE on p, bins [k/B, (k+1)/B) with 1.0 in the last.</param>
/// <param name="Reliability">The positive-class bins (the reliability diagram).</param>
public sealed record CalibrationResult(double Brier, double EceTopLabel, double EcePositiveClass, IReadOnlyList<CalibrationBin> Reliability);

/// <summary>Expected calibration error, Brier score and reliability bins (15 bins by default).</summary>
public static class Calibration
{
    /// <summary>The bin count used throughout the reports.</summary>
    public const int DefaultBins = 15;

    /// <summary>Computes every calibration measure of one label.</summary>
    public static CalibrationResult Compute(ReadOnlySpan<double> probabilities, ReadOnlySpan<byte> truth, int bins = DefaultBins)
    {
        int n = truth.Length;
        if (n == 0) throw new ArgumentException("No rows to calibrate.");
        // np.linspace(0, 1, bins + 1) computes edges as k * (1 / bins) and sets the last to exactly 1.
        var edges = new double[bins + 1];
        double step = 1.0 / bins;
        for (int k = 0; k < bins; k++) edges[k] = k * step;
        edges[bins] = 1.0;

        var topCount = new int[bins];
        var topConfidence = new double[bins];
        var topCorrect = new double[bins];
        var posCount = new int[bins];
        var posScore = new double[bins];
        var posTruth = new double[bins];
        double brier = 0;
        for (int i = 0; i < n; i++)
        {
            double p = probabilities[i];
            int y = truth[i];
            brier += (p - y) * (p - y);

            double confidence = Math.Max(p, 1 - p);
            int top = TopLabelBin(confidence, edges);
            if (top >= 0)
            {
                topCount[top]++;
                topConfidence[top] += confidence;
                topCorrect[top] += (Confusion.PredictsPositive(p) ? 1 : 0) == y ? 1 : 0;
            }

            int pos = Math.Min((int)Math.Floor(bins * p), bins - 1);
            posCount[pos]++;
            posScore[pos] += p;
            posTruth[pos] += y;
        }

        double eceTop = 0, ecePos = 0;
        var reliability = new CalibrationBin[bins];
        for (int k = 0; k < bins; k++)
        {
            if (topCount[k] > 0)
                eceTop += (double)topCount[k] / n * Math.Abs(topCorrect[k] / topCount[k] - topConfidence[k] / topCount[k]);
            if (posCount[k] > 0)
            {
                double meanScore = posScore[k] / posCount[k], fraction = posTruth[k] / posCount[k];
                ecePos += (double)posCount[k] / n * Math.Abs(fraction - meanScore);
                reliability[k] = new CalibrationBin(k, edges[k], edges[k + 1], posCount[k], meanScore, fraction);
            }
            else reliability[k] = new CalibrationBin(k, edges[k], edges[k + 1], 0, null, null);
        }
        return new CalibrationResult(brier / n, eceTop, ecePos, reliability);
    }

    /// <summary>The bin k with edges[k] &lt; c ≤ edges[k+1]; −1 for c = 0 (cannot occur for max(p, 1−p)).</summary>
    static int TopLabelBin(double confidence, double[] edges)
    {
        int bins = edges.Length - 1;
        int k = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
        while (k > 0 && confidence <= edges[k]) k--;
        while (k < bins - 1 && confidence > edges[k + 1]) k++;
        return confidence > edges[k] && confidence <= edges[k + 1] ? k : -1;
    }
}
