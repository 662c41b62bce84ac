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

    static Cohort Make(int seed, int stays = Stays, int pairedStays = Paired, double imageWeight = 1.5)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var draws = Enumerable.Range(0, 400).Select(_ => Gaussian()).ToArray();
        double SeriesMarginal(double s) => draws.Average(z => Sigmoid(1.5 * s + imageWeight * z));
        double ImageMarginal(double m) => draws.Average(z => Sigmoid(1.5 * z + imageWeight * m));

        var ids = Enumerable.Range(0, stays).Select(i => (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string[] labels = ["a", "b"];
        var truth = labels.Select(_ => new byte[stays]).ToArray();
        var fused = labels.Select(_ => new double[stays]).ToArray();
        var series = labels.Select(_ => new double[stays]).ToArray();
        var image = labels.Select(_ => new double[stays]).ToArray();
        for (int k = 0; k < labels.Length; k++)
            for (int i = 0; i < stays; i++)
            {
                double s = Gaussian(), m = Gaussian();
                truth[k][i] = random.NextDouble() < Sigmoid(1.5 * s + imageWeight * m) ? (byte)1 : (byte)0;
                series[k][i] = SeriesMarginal(s);
                image[k][i] = ImageMarginal(m);
                // Stays after the first pairedStays ones have no image: the oracle knows the series only.
                fused[k][i] = i < pairedStays ? Sigmoid(1.5 * s + imageWeight * m) : series[k][i];
            }
        PredictionSet Set(double[][] p, string model) => new(ids, labels, truth, p, new PredictionMetadata("test", model, "test"));
        var imageSet = Set(image, "image");
        return new Cohort(Set(fused, "fused"), Set(series, "series"), Set(image, "Oracle, image only"), imageSet.Restrict(ids.Take(pairedStays).ToHashSet()));
    }

    static ScoredRun[] Metrics(params (string Title, OracleView Ceiling, PredictionSet Set)[] runs) =>
        [.. runs.Select(r => new ScoredRun(r.Title, r.Ceiling, Evaluator.Evaluate(r.Set, 200, 3)))];

    [Fact]
    public void Models_at_their_oracles_with_a_real_fusion_gain_pass_every_check()
    {
        var c = Make(1);
        var verdict = DemoVerdict.Compute(Metrics(("series", OracleView.Series, c.Series), ("image", OracleView.Image, c.PairedImage), ("fusion", OracleView.Available, c.Fused)),
            new DemoVerdict.Predictions(c.Fused, c.Series, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        Assert.All(verdict.Checks, check => Assert.True(check.Passed, $"{check.Statement}: {check.Evidence}"));
        Assert.All(verdict.Checks, check => Assert.Null(check.OutOfReach));
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
        var verdict = DemoVerdict.Compute(Metrics(("series", OracleView.Series, c.Series), ("image", OracleView.Image, c.PairedImage), ("fusion", OracleView.Available, c.Series)),
            new DemoVerdict.Predictions(c.Series, c.Series, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        var fusionCheck = verdict.Checks.Single(x => x.Statement.StartsWith("fusion beats", StringComparison.Ordinal));
        Assert.False(fusionCheck.Passed);
        Assert.Equal(1.0, verdict.Json["fusion_minus_series_paired"]!["fraction_not_better"]!.GetValue<double>());
        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Lines(), l => l.Contains("does NOT show"));
    }

    [Fact]
    public void A_test_split_without_positives_gives_undefined_numbers_as_null_not_a_crash()
    {
        var c = Make(4, stays: 40, pairedStays: 20);
        PredictionSet NoPositives(PredictionSet set) => new(set.SampleIds, set.Labels, [.. set.Labels.Select(_ => new byte[set.SampleIds.Count])], set.Probabilities, set.Metadata);
        var (fused, series, image, pairedImage) = (NoPositives(c.Fused), NoPositives(c.Series), NoPositives(c.Image), NoPositives(c.PairedImage));
        var verdict = DemoVerdict.Compute(Metrics(("series", OracleView.Series, series), ("image", OracleView.Image, pairedImage), ("fusion", OracleView.Available, fused)),
            new DemoVerdict.Predictions(fused, series, pairedImage, fused, series, image), "fusion", seed: 5);
        var text = verdict.Json.ToJsonString(); // AUROC is undefined without positives: written as null
        Assert.Null(verdict.Json["fusion_auroc"]);
        Assert.Contains("\"fusion_auroc\":null", text);
        Assert.False(verdict.Passed);
    }

    [Fact]
    public void A_weak_single_modality_model_or_one_at_chance_fails_its_check()
    {
        var c = Make(3);
        var random = new Random(9);
        var noise = c.Series.Probabilities.Select(p => p.Select(_ => random.NextDouble()).ToArray()).ToArray();
        var chance = new PredictionSet(c.Series.SampleIds, c.Series.Labels, c.Series.Truth, noise, c.Series.Metadata);
        var verdict = DemoVerdict.Compute(Metrics(("series", OracleView.Series, chance), ("image", OracleView.Image, c.PairedImage), ("fusion", OracleView.Available, c.Fused)),
            new DemoVerdict.Predictions(c.Fused, chance, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        Assert.False(verdict.Checks[0].Passed);
        Assert.Contains("series", verdict.Checks[0].Evidence);
        Assert.False(verdict.Checks.Single(x => x.Statement.StartsWith("time series only", StringComparison.Ordinal)).Passed);
        Assert.True(verdict.Checks.Single(x => x.Statement.StartsWith("image only", StringComparison.Ordinal)).Passed);
    }

    [Fact]
    public void Missing_predictions_leave_the_checks_undecided_and_the_verdict_negative()
    {
        var verdict = DemoVerdict.Compute([new ScoredRun("series", OracleView.Series, null)], predictions: null, "fusion", seed: 5);
        Assert.All(verdict.Checks, check => Assert.Null(check.Passed));
        Assert.False(verdict.Passed);
    }

    [Fact]
    public void A_check_the_oracle_itself_fails_on_a_small_test_split_is_out_of_reach_with_the_size_that_reaches_it()
    {
        // A weak image signal on few paired stays: even the oracle's interval does not clear 0.5, nor its fusion gain the bar.
        var c = Make(4, stays: 120, pairedStays: 24, imageWeight: 0.3);
        var verdict = DemoVerdict.Compute(Metrics(("series", OracleView.Series, c.Series), ("image", OracleView.Image, c.PairedImage), ("fusion", OracleView.Available, c.Fused)),
            new DemoVerdict.Predictions(c.Fused, c.Series, c.PairedImage, c.Fused, c.Series, c.Image), "fusion", seed: 5);
        var aboveChance = verdict.Checks[0];
        Assert.False(aboveChance.Passed);
        Assert.NotNull(aboveChance.OutOfReach);
        Assert.Contains("Oracle, image only", aboveChance.OutOfReach);
        Assert.Contains("on 24 stays", aboveChance.OutOfReach);
        var fusionCheck = verdict.Checks.Single(x => x.Statement.StartsWith("fusion beats", StringComparison.Ordinal));
        Assert.False(fusionCheck.Passed);
        Assert.NotNull(fusionCheck.OutOfReach);
        Assert.True(verdict.Json["fusion_minus_series_paired"]!["oracle_fraction_not_better"]!.GetValue<double>() > DemoVerdict.Alpha);
        Assert.Contains(verdict.Lines(), l => l.Contains("out of reach at this test size", StringComparison.Ordinal));
        // The checks that are reachable carry no such note.
        Assert.Null(verdict.Checks.Single(x => x.Statement.StartsWith("time series only", StringComparison.Ordinal)).OutOfReach);
    }

    [Theory]
    [InlineData(36, 0.05, 0.08, 15)]   // half-width 0.05 against an effect of 0.08: 36·(5/8)² = 14.06, so 15 stays
    [InlineData(50, 0.10, 0.07, 103)]  // 50·(10/7)² = 102.04: a width above the effect needs more stays
    public void The_size_that_reaches_a_bound_scales_with_the_square_of_half_width_over_effect(int stays, double halfWidth, double effect, int expected)
    {
        var text = DemoVerdict.StaysNeeded(stays, halfWidth, effect);
        Assert.Contains($"about {expected} stays", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_effect_that_is_not_positive_on_these_stays_gives_no_size()
    {
        Assert.Contains("give no size", DemoVerdict.StaysNeeded(36, 0.05, 0.0), StringComparison.Ordinal);
        Assert.Contains("give no size", DemoVerdict.StaysNeeded(36, 0.05, -0.01), StringComparison.Ordinal);
    }
}
