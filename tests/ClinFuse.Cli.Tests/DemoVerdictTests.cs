using ClinFuse.Cli.Demo;
using ClinFuse.Evaluation;

namespace ClinFuse.Cli.Tests;

/// <summary>
/// The demo verdict on prediction sets with a known structure: the label depends on a series factor
/// and an image factor, the oracles know one, the other or both, and the "models" are those oracles.
/// </summary>
public sealed class DemoVerdictTests
{
    const int Stays = 600, Paired = 300;

    sealed record Cohort(PredictionSet Fused, PredictionSet Series, PredictionSet Image, PredictionSet PairedImage);

    static Cohort Make(int seed)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var draws = Enumerable.Range(0, 400).Select(_ => Gaussian()).ToArray();
        double Marginal(double known) => draws.Average(z => Sigmoid(1.5 * known + 1.5 * z));

        var ids = Enumerable.Range(0, Stays).Select(i => (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string[] labels = ["a", "b"];
        var truth = labels.Select(_ => new byte[Stays]).ToArray();
        var fused = labels.Select(_ => new double[Stays]).ToArray();
        var series = labels.Select(_ => new double[Stays]).ToArray();
        var image = labels.Select(_ => new double[Stays]).ToArray();
        for (int k = 0; k < labels.Length; k++)
            for (int i = 0; i < Stays; i++)
            {
                double s = Gaussian(), m = Gaussian();
                truth[k][i] = random.NextDouble() < Sigmoid(1.5 * s + 1.5 * m) ? (byte)1 : (byte)0;
                series[k][i] = Marginal(s);
                image[k][i] = Marginal(m);
                // Stays after the first Paired ones have no image: the oracle knows the series only.
                fused[k][i] = i < Paired ? Sigmoid(1.5 * s + 1.5 * m) : series[k][i];
            }
        PredictionSet Set(double[][] p, string model) => new(ids, labels, truth, p, new PredictionMetadata("test", model, "test"));
        var imageSet = Set(image, "image");
        return new Cohort(Set(fused, "fused"), Set(series, "series"), imageSet, imageSet.Restrict(ids.Take(Paired).ToHashSet()));
    }

    static Dictionary<string, MetricsResult?> Metrics(params (string Title, PredictionSet Set)[] runs) =>
        runs.ToDictionary(r => r.Title, r => (MetricsResult?)Evaluator.Evaluate(r.Set, 200, 3));

    [Fact]
    public void Models_at_their_oracles_with_a_real_fusion_gain_pass_every_check()
    {
        var c = Make(1);
        var verdict = DemoVerdict.Compute(Metrics(("series", c.Series), ("image", c.PairedImage), ("fusion", c.Fused)),
            new DemoVerdict.Predictions(c.Fused, c.Series, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        Assert.All(verdict.Checks, check => Assert.True(check.Passed, $"{check.Statement}: {check.Evidence}"));
        Assert.True(verdict.Passed);
        var paired = verdict.Json["fusion_minus_series_paired"]!;
        Assert.Equal(Paired, paired["stays"]!.GetValue<int>());
        Assert.True(paired["ci_lower"]!.GetValue<double>() > 0);
        // The models are the oracles, so each difference equals its oracle ceiling.
        Assert.Equal(paired["oracle_difference"]!.GetValue<double>(), paired["difference"]!.GetValue<double>(), 12);
        Assert.Contains(verdict.Lines(), l => l.Contains("shows the paper's claim"));
    }

    [Fact]
    public void Fusion_that_adds_nothing_to_the_series_fails_the_fusion_check_and_the_verdict()
    {
        var c = Make(2);
        var verdict = DemoVerdict.Compute(Metrics(("series", c.Series), ("image", c.PairedImage), ("fusion", c.Series)),
            new DemoVerdict.Predictions(c.Series, c.Series, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        var fusionCheck = verdict.Checks.Single(x => x.Statement.StartsWith("fusion beats", StringComparison.Ordinal));
        Assert.False(fusionCheck.Passed);
        Assert.Equal(1.0, verdict.Json["fusion_minus_series_paired"]!["fraction_not_better"]!.GetValue<double>());
        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Lines(), l => l.Contains("does NOT show"));
    }

    [Fact]
    public void A_weak_single_modality_model_or_one_at_chance_fails_its_check()
    {
        var c = Make(3);
        var random = new Random(9);
        var noise = c.Series.Probabilities.Select(p => p.Select(_ => random.NextDouble()).ToArray()).ToArray();
        var chance = new PredictionSet(c.Series.SampleIds, c.Series.Labels, c.Series.Truth, noise, c.Series.Metadata);
        var verdict = DemoVerdict.Compute(Metrics(("series", chance), ("image", c.PairedImage), ("fusion", c.Fused)),
            new DemoVerdict.Predictions(c.Fused, chance, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        Assert.False(verdict.Checks[0].Passed);
        Assert.Contains("series", verdict.Checks[0].Evidence);
        Assert.False(verdict.Checks.Single(x => x.Statement.StartsWith("time series only", StringComparison.Ordinal)).Passed);
        Assert.True(verdict.Checks.Single(x => x.Statement.StartsWith("image only", StringComparison.Ordinal)).Passed);
    }

    [Fact]
    public void Missing_predictions_leave_the_checks_undecided_and_the_verdict_negative()
    {
        var verdict = DemoVerdict.Compute(new Dictionary<string, MetricsResult?> { ["series"] = null }, predictions: null, "fusion", seed: 5);
        Assert.All(verdict.Checks, check => Assert.Null(check.Passed));
        Assert.False(verdict.Passed);
    }
}
