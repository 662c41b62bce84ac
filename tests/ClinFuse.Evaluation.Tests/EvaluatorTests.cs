using ClinFuse.Core;

namespace ClinFuse.Evaluation.Tests;

public sealed class EvaluatorTests
{
    internal static PredictionSet RandomSet(int seed, int rows, string[] labels, string model = "Attention", string task = "phenotyping", double signal = 0.3)
    {
        var random = new Random(seed);
        var truth = new byte[labels.Length][];
        var probabilities = new double[labels.Length][];
        for (int l = 0; l < labels.Length; l++)
        {
            truth[l] = new byte[rows];
            probabilities[l] = new double[rows];
            for (int i = 0; i < rows; i++)
            {
                truth[l][i] = (byte)(random.NextDouble() < 0.25 ? 1 : 0);
                probabilities[l][i] = Math.Clamp(0.35 + signal * truth[l][i] + 0.25 * (random.NextDouble() - 0.5), 0, 1);
            }
        }
        return new PredictionSet(Enumerable.Range(0, rows).Select(i => $"s{i}").ToArray(), labels, truth, probabilities,
            new PredictionMetadata(task, model, "test"));
    }

    [Fact]
    public void TheSameSeedGivesTheSameIntervalsAndAnotherSeedOtherOnes()
    {
        var set = RandomSet(1, 150, ["a", "b"]);
        var first = MetricsJson.Serialize(Evaluator.Evaluate(set, 200, seed: 9));
        var again = MetricsJson.Serialize(Evaluator.Evaluate(set, 200, seed: 9, new ParallelOptions { MaxDegreeOfParallelism = 1 }));
        var other = Evaluator.Evaluate(set, 200, seed: 10);
        Assert.Equal(first, again);
        Assert.NotEqual(first, MetricsJson.Serialize(other));
    }

    [Fact]
    public void IntervalsContainThePointEstimate()
    {
        var result = Evaluator.Evaluate(RandomSet(2, 300, ["a", "b", "c"]), 300, seed: 1);
        foreach (var estimate in result.PerLabel.SelectMany(l => new[] { l.Auroc, l.Auprc }).Append(result.Summary.Auroc.Macro).Append(result.Summary.F1Macro))
        {
            Assert.NotNull(estimate.Value);
            Assert.InRange(estimate.Value!.Value, estimate.CiLower!.Value, estimate.CiUpper!.Value);
            Assert.Equal(300, estimate.ResamplesUsed);
        }
    }

    [Fact]
    public void DegenerateLabelsAreUndefinedAndAveragesSayWhatTheyCover()
    {
        var set = RandomSet(3, 80, ["normal", "never", "always"]);
        Array.Fill(set.Truth[1], (byte)0);
        Array.Fill(set.Truth[2], (byte)1);
        var result = Evaluator.Evaluate(set, 100, seed: 2);
        foreach (var label in result.PerLabel.Skip(1))
        {
            Assert.Null(label.Auroc.Value);
            Assert.Null(label.Auroc.CiLower);
            Assert.Null(label.Auprc.Value);
        }
        Assert.Equal(1, result.Summary.Auroc.LabelsCovered);
        Assert.Equal(3, result.Summary.Auroc.LabelsTotal);
        Assert.Equal(result.PerLabel[0].Auroc.Value, result.Summary.Auroc.Macro.Value);
        var json = MetricsJson.Serialize(result);
        Assert.Contains("\"value\": null", json);
        Assert.DoesNotContain("NaN", json);
    }

    [Fact]
    public void MetricsJsonRoundTrips()
    {
        using var folder = Fixtures.TempFolder();
        var result = Evaluator.Evaluate(RandomSet(4, 60, ["x"], task: "ihm"), 50, seed: 3);
        var path = folder.Combine("metrics.json");
        MetricsJson.Write(path, result);
        var read = MetricsJson.Read(path);
        Assert.Equal(MetricsJson.Serialize(result), MetricsJson.Serialize(read));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void AMalformedMetricsFileIsAClearError()
    {
        using var folder = Fixtures.TempFolder();
        var path = folder.Combine("metrics.json");
        File.WriteAllText(path, "{\"format\": \"something else\"}");
        var error = Assert.Throws<ClinFuseException>(() => MetricsJson.Read(path));
        Assert.Contains(path, error.Message);
        File.WriteAllText(path, "{ not json");
        Assert.Throws<ClinFuseException>(() => MetricsJson.Read(path));
    }

    [Fact]
    public void ComparingASetWithItselfGivesZeroDifference()
    {
        var set = RandomSet(5, 120, ["a", "b"]);
        var comparison = PairedComparison.Compare(set, set, 100, seed: 1);
        foreach (var difference in comparison.Summary.Concat(comparison.PerLabel.SelectMany(l => new[] { l.Auroc, l.Auprc })))
        {
            Assert.Equal(0.0, difference.Difference.Value);
            Assert.Equal(0.0, difference.Difference.CiLower);
            Assert.Equal(0.0, difference.Difference.CiUpper);
            Assert.Equal(1.0, difference.FractionNotBetter);
        }
    }

    [Fact]
    public void ABetterModelHasAPositiveDifferenceAndRowOrderDoesNotMatter()
    {
        var good = RandomSet(6, 200, ["a"], model: "good", signal: 0.4);
        var weak = RandomSet(6, 200, ["a"], model: "weak", signal: 0.05);
        // Same truth (same seed and draws), rows of the weak set reversed: alignment is by sample id.
        var reversed = new PredictionSet(weak.SampleIds.Reverse().ToArray(), weak.Labels,
            [weak.Truth[0].Reverse().ToArray()], [weak.Probabilities[0].Reverse().ToArray()], weak.Metadata);
        var inOrder = PairedComparison.Compare(good, weak, 200, seed: 4);
        var shuffled = PairedComparison.Compare(good, reversed, 200, seed: 4);
        var auroc = inOrder.Summary.Single(d => d.Metric == "auroc_macro");
        Assert.True(auroc.Difference.CiLower > 0);
        Assert.Equal(auroc, shuffled.Summary.Single(d => d.Metric == "auroc_macro"));
        Assert.Equal(auroc.A!.Value - auroc.B!.Value, auroc.Difference.Value!.Value, 12);
    }

    [Fact]
    public void ComparingDifferentSamplesOrTruthIsAClearError()
    {
        var a = RandomSet(7, 50, ["a"]);
        var otherTruth = RandomSet(8, 50, ["a"]);
        Assert.Contains("truth", Assert.Throws<ClinFuseException>(() => PairedComparison.Compare(a, otherTruth, 10, 1, sourceB: "b.csv")).Message);
        var fewer = RandomSet(7, 40, ["a"]);
        Assert.Contains("40 samples", Assert.Throws<ClinFuseException>(() => PairedComparison.Compare(a, fewer, 10, 1, sourceB: "b.csv")).Message);
        var otherLabels = RandomSet(7, 50, ["z"]);
        Assert.Contains("labels", Assert.Throws<ClinFuseException>(() => PairedComparison.Compare(a, otherLabels, 10, 1, sourceB: "b.csv")).Message);
    }
}
