using ClinFuse.Core.Metrics;
using ClinFuse.Evaluation.Metrics;

namespace ClinFuse.Evaluation.Tests;

/// <summary>
/// Properties checked against independent brute-force definitions on many seeded random sets
/// (with heavy ties, since scores are drawn from a few distinct values).
/// </summary>
public sealed class MetricPropertyTests
{
    static (double[] Scores, byte[] Truth) RandomSet(Random random, int n, int distinctScores)
    {
        var scores = new double[n];
        var truth = new byte[n];
        for (int i = 0; i < n; i++)
        {
            truth[i] = (byte)(random.NextDouble() < 0.3 ? 1 : 0);
            scores[i] = Math.Round(random.Next(distinctScores) / (double)(distinctScores - 1) * 0.6 + truth[i] * 0.4 * random.NextDouble(), 3);
        }
        return (scores, truth);
    }

    /// <summary>P(score_pos &gt; score_neg) + ½ P(equal), by comparing every pair.</summary>
    static double BruteForceAuroc(double[] scores, byte[] truth)
    {
        double wins = 0, pairs = 0;
        for (int i = 0; i < scores.Length; i++)
            for (int j = 0; j < scores.Length; j++)
            {
                if (truth[i] != 1 || truth[j] != 0) continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        return pairs == 0 ? double.NaN : wins / pairs;
    }

    /// <summary>Σ over distinct thresholds t (descending) of (R_t − R_prev)·P_t, each point by a full scan.</summary>
    static double BruteForceAveragePrecision(double[] scores, byte[] truth)
    {
        int positives = truth.Count(t => t == 1);
        double ap = 0, previousRecall = 0;
        foreach (double threshold in scores.Distinct().OrderByDescending(s => s))
        {
            int tp = 0, predicted = 0;
            for (int i = 0; i < scores.Length; i++)
                if (scores[i] >= threshold) { predicted++; tp += truth[i]; }
            double recall = (double)tp / positives;
            ap += (recall - previousRecall) * tp / predicted;
            previousRecall = recall;
        }
        return ap;
    }

    [Fact]
    public void AurocAndAveragePrecisionEqualTheirBruteForceDefinitions()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var (scores, truth) = RandomSet(random, random.Next(2, 80), random.Next(2, 12));
            if (truth.All(t => t == 0) || truth.All(t => t == 1)) continue;
            var ranked = new RankedScores(scores, truth);
            Assert.Equal(BruteForceAuroc(scores, truth), ranked.Auroc(), 12);
            Assert.Equal(BruteForceAveragePrecision(scores, truth), ranked.AveragePrecision(), 12);
        }
    }

    [Fact]
    public void RowCountsGiveTheSameValuesAsTheExplicitlyResampledSet()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 100; trial++)
        {
            var (scores, truth) = RandomSet(random, random.Next(5, 60), random.Next(2, 10));
            var resamples = BootstrapResamples.Draw(scores.Length, 1, seed: trial);
            var counts = new int[scores.Length];
            resamples.CountRows(0, counts);
            var drawnScores = new List<double>();
            var drawnTruth = new List<byte>();
            for (int i = 0; i < counts.Length; i++)
                for (int k = 0; k < counts[i]; k++) { drawnScores.Add(scores[i]); drawnTruth.Add(truth[i]); }
            var weighted = new RankedScores(scores, truth);
            var explicitSet = new RankedScores(drawnScores.ToArray(), drawnTruth.ToArray());
            double expectedAuroc = explicitSet.Auroc();
            Assert.Equal(expectedAuroc, weighted.Auroc(counts), 12);
            if (!double.IsNaN(expectedAuroc))
                Assert.Equal(explicitSet.AveragePrecision(), weighted.AveragePrecision(counts), 12);
        }
    }

    [Fact]
    public void ReversingTheScoresMirrorsTheAuroc()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 100; trial++)
        {
            var (scores, truth) = RandomSet(random, 40, 6);
            if (truth.All(t => t == 0) || truth.All(t => t == 1)) continue;
            double forward = new RankedScores(scores, truth).Auroc();
            double reversed = new RankedScores(scores.Select(s => 1 - s).ToArray(), truth).Auroc();
            Assert.Equal(1.0, forward + reversed, 12);
        }
    }

    [Fact]
    public void SingleClassSetsAreUndefinedNotZero()
    {
        var ranked = new RankedScores([0.1, 0.9, 0.5], [0, 0, 0]);
        Assert.True(double.IsNaN(ranked.Auroc()));
        Assert.True(double.IsNaN(ranked.AveragePrecision()));
        Assert.True(double.IsNaN(new RankedScores([0.1, 0.9], [1, 1]).Auroc()));
    }

    [Fact]
    public void PercentileFollowsNumPyLinearInterpolation()
    {
        // numpy.percentile([1, 2, 3, 4], q): position h = 3q/100.
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.075, Percentile.OfSorted(sorted, 2.5), 12);
        Assert.Equal(3.925, Percentile.OfSorted(sorted, 97.5), 12);
        Assert.Equal(4.0, Percentile.OfSorted(sorted, 100), 12);
        Assert.Equal(2.5, Percentile.OfSorted(sorted, 50), 12);
    }

    [Fact]
    public void ReferenceIntervalEqualsThePlainPercentileIntervalAndSkipsUndefinedResamples()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 200).Select(_ => random.NextDouble()).ToArray();
        var sorted = values.Order().ToArray();
        var interval = Percentile.ReferenceInterval(0.4, [.. values, double.NaN, double.NaN]);
        Assert.Equal(Percentile.OfSorted(sorted, 2.5), interval.Lower, 12);
        Assert.Equal(Percentile.OfSorted(sorted, 97.5), interval.Upper, 12);
    }

    [Fact]
    public void ThresholdPutsExactlyHalfInTheNegativeClass()
    {
        Assert.False(Confusion.PredictsPositive(0.5));
        Assert.True(Confusion.PredictsPositive(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(0.5) + 1)));
        var confusion = Confusion.Count([0.5, 0.7, 0.2], [1, 1, 0]);
        Assert.Equal(new Confusion(1, 0, 1, 1), confusion);
    }

    [Fact]
    public void ResampleConfusionFromCellsEqualsCountingTheDrawnRows()
    {
        var random = new Random(13);
        var (scores, truth) = RandomSet(random, 50, 20);
        var counts = new int[scores.Length];
        BootstrapResamples.Draw(scores.Length, 1, seed: 2).CountRows(0, counts);
        var drawnScores = new List<double>();
        var drawnTruth = new List<byte>();
        for (int i = 0; i < counts.Length; i++)
            for (int k = 0; k < counts[i]; k++) { drawnScores.Add(scores[i]); drawnTruth.Add(truth[i]); }
        Assert.Equal(Confusion.Count(drawnScores.ToArray(), drawnTruth.ToArray()), Confusion.FromCells(Confusion.Cells(scores, truth), counts));
    }

    [Fact]
    public void TwoClassMacroF1OfALabelNeverPositiveIsThatOfTheNegativeClass()
    {
        var confusion = Confusion.Count([0.1, 0.2, 0.3], [0, 0, 0]);
        Assert.Equal(1.0, confusion.F1MacroTwoClass);
        Assert.Equal(0.0, confusion.F1Positive);
    }
}
