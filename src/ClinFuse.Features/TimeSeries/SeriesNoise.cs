using System.Buffers;
using ClinFuse.Core;
using ClinFuse.Core.Randomness;

namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// Per-channel statistics of raw continuous values that <see cref="SeriesNoise"/> draws from: pooled
/// mean, sample standard deviation, minimum and maximum of every observed value of each continuous
/// channel over a seeded random sample of training episodes. Categorical channels, and channels with
/// fewer than two observations, have NaN statistics and receive no noise.
/// </summary>
public sealed record SeriesNoiseStatistics(double[] Means, double[] Stds, double[] Minimums, double[] Maximums, int EpisodeCount)
{
    /// <summary>Episodes sampled by default (the paper's 1,000).</summary>
    public const int DefaultSampleCount = 1000;

    /// <summary>
    /// Estimates the statistics from <paramref name="sampleCount"/> episodes drawn without replacement
    /// from <paramref name="training"/> (all of them when there are fewer) with <paramref name="seed"/>.
    /// Values are pooled over all sampled episodes (the reference intends this; as shipped it kept only the last file's).
    /// </summary>
    public static SeriesNoiseStatistics Estimate(IReadOnlyList<SeriesEpisode> training, ulong seed, int sampleCount = DefaultSampleCount)
    {
        if (training.Count == 0)
            throw new ClinFuseException("Cannot estimate noise statistics without training episodes.", "Check the training split.");
        if (sampleCount <= 0)
            throw new ClinFuseException($"The noise statistics sample size must be positive, got {sampleCount}.");
        var config = training[0].Config;
        int channels = config.ChannelCount;
        int take = Math.Min(sampleCount, training.Count);
        var order = Enumerable.Range(0, training.Count).ToArray();
        var random = new SeededRandom(seed);
        random.ChooseFront(order, take);

        // Welford's update: the pooled sums of squares of raw vitals would lose digits.
        var count = new long[channels];
        var mean = new double[channels];
        var m2 = new double[channels];
        var min = new double[channels];
        var max = new double[channels];
        Array.Fill(min, double.PositiveInfinity);
        Array.Fill(max, double.NegativeInfinity);
        for (int s = 0; s < take; s++)
        {
            var episode = training[order[s]];
            if (!ReferenceEquals(episode.Config, config))
                throw new ArgumentException("All episodes must use the same discretizer configuration.", nameof(training));
            var episodeChannels = episode.Channels;
            var codes = episode.Codes;
            for (int i = 0; i < codes.Length; i++)
            {
                int ch = episodeChannels[i];
                if (config.IsCategorical(ch)) continue;
                double x = codes[i];
                long n = ++count[ch];
                double delta = x - mean[ch];
                mean[ch] += delta / n;
                m2[ch] += delta * (x - mean[ch]);
                min[ch] = Math.Min(min[ch], x);
                max[ch] = Math.Max(max[ch], x);
            }
        }
        var std = new double[channels];
        for (int ch = 0; ch < channels; ch++)
        {
            if (count[ch] < 2)
            {
                mean[ch] = std[ch] = min[ch] = max[ch] = double.NaN;
                continue;
            }
            std[ch] = Math.Sqrt(m2[ch] / (count[ch] - 1));
        }
        return new SeriesNoiseStatistics(mean, std, min, max, take);
    }
}

/// <summary>
/// Gaussian noise on the raw values of an episode, applied on the fly (the stored data never change):
/// for a sample, <c>floor(fraction × time steps)</c> of its observation times are chosen uniformly
/// without replacement, and every observed continuous value at those times gets
/// <c>x ← x + N(mean_ch, std_ch)</c>, clipped to the channel's observed [min, max] — the reference's
/// noise formula (paper §V-G), including its non-zero mean. Categorical values, missing cells, times
/// and masks are untouched, so noise enters before imputation and normalisation: carried-forward
/// values repeat the noisy value, as they would for a noisy file. The draws depend only on (seed,
/// sample id).
/// </summary>
public sealed class SeriesNoise
{
    readonly SeriesNoiseStatistics statistics;

    /// <summary>Creates noise for a fraction (0–1) of time steps; <paramref name="clip"/> keeps values in the observed range as the reference does.</summary>
    public SeriesNoise(SeriesNoiseStatistics statistics, double fraction, ulong seed, bool clip = true)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ClinFuseException($"The noise fraction must be between 0 and 1, got {fraction}.", "Give the noise level as a fraction, e.g. 0.3 for 30 %.");
        this.statistics = statistics;
        Fraction = fraction;
        Seed = seed;
        Clip = clip;
    }

    /// <summary>Fraction of time steps perturbed per sample.</summary>
    public double Fraction { get; }

    /// <summary>Seed of all draws.</summary>
    public ulong Seed { get; }

    /// <summary>Whether perturbed values are clipped to the observed range.</summary>
    public bool Clip { get; }

    /// <summary>Time steps perturbed in an episode with <paramref name="timeSteps"/> observation times.</summary>
    public int PerturbedStepCount(int timeSteps) => (int)Math.Floor(Fraction * timeSteps);

    /// <summary>A perturbed copy of <paramref name="episode"/> (which is not modified); same draws for the same sample id.</summary>
    public SeriesEpisode Apply(SeriesEpisode episode, long sampleId)
    {
        if (episode.Config.ChannelCount != statistics.Means.Length)
            throw new ArgumentException("The noise statistics were estimated for another channel configuration.", nameof(episode));
        int steps = episode.TimeStepCount;
        int chosen = PerturbedStepCount(steps);
        var codes = episode.Codes.ToArray();
        if (chosen == 0) return episode.WithCodes(codes);

        var random = new SeededRandom(Seeds.ForSample(Seed, sampleId));
        int[] rented = ArrayPool<int>.Shared.Rent(steps);
        try
        {
            var order = rented.AsSpan(0, steps);
            for (int i = 0; i < steps; i++) order[i] = i;
            random.ChooseFront(order, chosen);
            var channels = episode.Channels;
            foreach (int step in order[..chosen])
            {
                var (start, end) = episode.TimeStepRange(step);
                for (int i = start; i < end; i++)
                {
                    int ch = channels[i];
                    double std = statistics.Stds[ch];
                    if (double.IsNaN(std)) continue;
                    double noisy = codes[i] + statistics.Means[ch] + std * random.NextGaussian();
                    codes[i] = Clip ? Math.Clamp(noisy, statistics.Minimums[ch], statistics.Maximums[ch]) : noisy;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
        return episode.WithCodes(codes);
    }
}
