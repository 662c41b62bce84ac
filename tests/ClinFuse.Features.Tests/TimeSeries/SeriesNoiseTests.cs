using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

public sealed class SeriesNoiseTests
{
    static readonly int HeartRate = SeriesChannels.IndexOf(SeriesChannels.HeartRate);
    static readonly int Glucose = SeriesChannels.IndexOf(SeriesChannels.Glucose);
    static readonly int GcsVerbal = SeriesChannels.IndexOf(SeriesChannels.GcsVerbalResponse);

    /// <summary>Episodes whose heart rates are N(80, 10) and glucose values N(140, 30), one observation time per hour.</summary>
    static SeriesEpisode[] Training(int count, int steps, int seed)
    {
        var random = new Random(seed);
        double Normal(double mean, double std) =>
            mean + std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Enumerable.Range(0, count).Select(_ => SeriesEpisode.FromObservations(Enumerable.Range(0, steps).SelectMany(h => new SeriesObservation[]
        {
            new(h + 0.5, HeartRate, Normal(80, 10).ToString("R", CultureInfo.InvariantCulture)),
            new(h + 0.5, Glucose, Normal(140, 30).ToString("R", CultureInfo.InvariantCulture)),
            new(h + 0.5, GcsVerbal, "Confused"),
        }))).ToArray();
    }

    [Fact]
    public void Statistics_recover_a_known_distribution_from_a_seeded_sample_of_1000_episodes()
    {
        var stats = SeriesNoiseStatistics.Estimate(Training(1500, 20, seed: 1), seed: 42);
        Assert.Equal(1000, stats.EpisodeCount);
        Assert.Equal(80, stats.Means[HeartRate], 0.2);
        Assert.Equal(10, stats.Stds[HeartRate], 0.2);
        Assert.Equal(140, stats.Means[Glucose], 0.6);
        Assert.Equal(30, stats.Stds[Glucose], 0.6);
        Assert.InRange(stats.Minimums[HeartRate], 20, 50);
        Assert.InRange(stats.Maximums[HeartRate], 110, 140);
        Assert.True(double.IsNaN(stats.Stds[GcsVerbal]), "categorical channels get no statistics");
        Assert.True(double.IsNaN(stats.Stds[SeriesChannels.IndexOf(SeriesChannels.PH)]), "unobserved channels get no statistics");
    }

    [Fact]
    public void Statistics_depend_on_the_seed_only()
    {
        var training = Training(1200, 5, seed: 2);
        var a = SeriesNoiseStatistics.Estimate(training, seed: 7);
        var b = SeriesNoiseStatistics.Estimate(training, seed: 7);
        var c = SeriesNoiseStatistics.Estimate(training, seed: 8);
        Assert.Equal(a.Means, b.Means);
        Assert.NotEqual(a.Means[HeartRate], c.Means[HeartRate]);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(0.6)]
    public void The_chosen_fraction_of_time_steps_is_perturbed_uniformly_over_steps(double fraction)
    {
        var training = Training(1, 40, seed: 3);
        var episode = training[0];
        var noise = new SeriesNoise(SeriesNoiseStatistics.Estimate(Training(50, 10, seed: 4), seed: 1), fraction, seed: 99, clip: false);
        var timesPerturbed = new int[episode.TimeStepCount];
        const int samples = 3000;
        for (int id = 0; id < samples; id++)
        {
            var noisy = noise.Apply(episode, id);
            int perturbed = 0;
            for (int step = 0; step < episode.TimeStepCount; step++)
            {
                var (start, end) = episode.TimeStepRange(step);
                bool changed = false;
                for (int i = start; i < end; i++) changed |= noisy.Codes[i] != episode.Codes[i];
                if (changed) { perturbed++; timesPerturbed[step]++; }
            }
            Assert.Equal((int)Math.Floor(fraction * 40), perturbed);
        }
        // Each step is chosen with probability ≈ fraction (binomial sd ≤ 0.009 at 3000 samples).
        Assert.All(timesPerturbed, n => Assert.Equal(fraction, n / (double)samples, 0.04));
    }

    [Fact]
    public void Noise_increments_follow_the_estimated_feature_distribution()
    {
        var stats = SeriesNoiseStatistics.Estimate(Training(300, 10, seed: 5), seed: 1);
        var episode = Training(1, 50, seed: 6)[0];
        var noise = new SeriesNoise(stats, 0.5, seed: 3, clip: false);
        var increments = new List<double>();
        for (int id = 0; id < 400; id++)
        {
            var noisy = noise.Apply(episode, id);
            for (int i = 0; i < episode.EventCount; i++)
                if (episode.Channels[i] == HeartRate && noisy.Codes[i] != episode.Codes[i]) increments.Add(noisy.Codes[i] - episode.Codes[i]);
        }
        Assert.Equal(400 * 25, increments.Count);
        double mean = increments.Average();
        double std = Math.Sqrt(increments.Sum(d => (d - mean) * (d - mean)) / (increments.Count - 1));
        Assert.Equal(stats.Means[HeartRate], mean, 0.3);
        Assert.Equal(stats.Stds[HeartRate], std, 0.3);
    }

    [Fact]
    public void Clipping_keeps_values_in_the_observed_range_and_categories_times_are_untouched()
    {
        var stats = SeriesNoiseStatistics.Estimate(Training(100, 10, seed: 7), seed: 1);
        var episode = Training(1, 30, seed: 8)[0];
        var noisy = new SeriesNoise(stats, 1.0, seed: 1).Apply(episode, 12);
        Assert.Equal(episode.Hours.ToArray(), noisy.Hours.ToArray());
        Assert.Equal(episode.Channels.ToArray(), noisy.Channels.ToArray());
        for (int i = 0; i < episode.EventCount; i++)
        {
            int ch = episode.Channels[i];
            if (ch == GcsVerbal) Assert.Equal(episode.Codes[i], noisy.Codes[i]);
            else Assert.InRange(noisy.Codes[i], stats.Minimums[ch], stats.Maximums[ch]);
        }
    }

    [Fact]
    public void Draws_are_deterministic_per_seed_and_sample_and_never_modify_the_input()
    {
        var stats = SeriesNoiseStatistics.Estimate(Training(100, 10, seed: 9), seed: 1);
        var episode = Training(1, 30, seed: 10)[0];
        var original = episode.Codes.ToArray();
        var noise = new SeriesNoise(stats, 0.4, seed: 5);
        var first = noise.Apply(episode, 17).Codes.ToArray();
        noise.Apply(episode, 3);
        Assert.Equal(first, noise.Apply(episode, 17).Codes.ToArray());
        Assert.Equal(first, new SeriesNoise(stats, 0.4, seed: 5).Apply(episode, 17).Codes.ToArray());
        Assert.NotEqual(first, noise.Apply(episode, 18).Codes.ToArray());
        Assert.NotEqual(first, new SeriesNoise(stats, 0.4, seed: 6).Apply(episode, 17).Codes.ToArray());
        Assert.Equal(original, episode.Codes.ToArray());
    }

    [Fact]
    public void Noise_enters_before_imputation_so_carried_values_repeat_the_noisy_value_and_masks_stay()
    {
        var stats = SeriesNoiseStatistics.Estimate(Training(100, 10, seed: 11), seed: 1);
        var episode = SeriesEpisode.FromObservations([new(0.5, HeartRate, "80")]);
        var noisy = new SeriesNoise(stats, 1.0, seed: 2).Apply(episode, 0);
        var discretizer = new Discretizer();
        var clean = discretizer.Transform(episode, 48);
        var perturbed = discretizer.Transform(noisy, 48);
        int column = DiscretizerConfig.Reference.BeginColumn(HeartRate);
        Assert.NotEqual(80f, perturbed.Row(0)[column]);
        for (int step = 0; step < 48; step++)
        {
            Assert.Equal(perturbed.Row(0)[column], perturbed.Row(step)[column]);
            Assert.Equal(clean.Row(step)[DiscretizerConfig.Reference.ValueColumnCount..].ToArray(), perturbed.Row(step)[DiscretizerConfig.Reference.ValueColumnCount..].ToArray());
        }
    }

    [Fact]
    public void Zero_fraction_is_the_identity()
    {
        var stats = SeriesNoiseStatistics.Estimate(Training(10, 10, seed: 12), seed: 1);
        var episode = Training(1, 30, seed: 13)[0];
        Assert.Equal(episode.Codes.ToArray(), new SeriesNoise(stats, 0, seed: 1).Apply(episode, 4).Codes.ToArray());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Fractions_outside_zero_to_one_are_rejected(double fraction) =>
        Assert.Throws<ClinFuseException>(() => new SeriesNoise(SeriesNoiseStatistics.Estimate(Training(2, 2, seed: 1), seed: 1), fraction, seed: 1));

    [Fact]
    public void Estimating_from_no_episodes_is_a_clear_error() =>
        Assert.Throws<ClinFuseException>(() => SeriesNoiseStatistics.Estimate([], seed: 1));
}
