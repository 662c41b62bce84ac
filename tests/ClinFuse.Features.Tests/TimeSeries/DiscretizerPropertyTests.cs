using System.Globalization;
using ClinFuse.Features.TimeSeries;
using FsCheck;
using FsCheck.Xunit;

namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>Invariants of the discretizer's output on random episodes (spec B.2 stated as properties).</summary>
public sealed class DiscretizerPropertyTests
{
    static readonly Discretizer Discretizer = new();
    static readonly DiscretizerConfig Config = DiscretizerConfig.Reference;

    /// <summary>A random episode: times in [-2, end + 3] (some outside the window), random channels and valid values.</summary>
    static (SeriesObservation[] Observations, double End) RandomEpisode(int seed, int count)
    {
        var random = new Random(seed);
        double end = Math.Round(random.NextDouble() * 80, random.Next(4));
        var observations = new SeriesObservation[count];
        double t = -2;
        for (int i = 0; i < count; i++)
        {
            t += random.NextDouble() < 0.3 ? 0 : random.NextDouble() * (end + 5) / Math.Max(1, count);
            int ch = random.Next(Config.ChannelCount);
            string value = Config.IsCategorical(ch)
                ? Config.Categories(ch)[random.Next(Config.Categories(ch).Count)]
                : (random.NextDouble() * 200 - 20).ToString("R", CultureInfo.InvariantCulture);
            observations[i] = new SeriesObservation(t, ch, value);
        }
        return (observations, end);
    }

    [Property(MaxTest = 150)]
    public void Every_row_has_one_category_per_categorical_channel_and_binary_masks(int seed, byte count)
    {
        var (observations, end) = RandomEpisode(seed, count);
        var matrix = Discretizer.Transform(SeriesEpisode.FromObservations(observations), end);
        Assert.Equal(Discretizer.StepCount(end), matrix.Steps);
        for (int step = 0; step < matrix.Steps; step++)
        {
            var row = matrix.Row(step);
            for (int ch = 0; ch < Config.ChannelCount; ch++)
            {
                Assert.True(row[Config.MaskColumn(ch)] is 0f or 1f);
                if (!Config.IsCategorical(ch)) continue;
                var block = row.Slice(Config.BeginColumn(ch), Config.Categories(ch).Count).ToArray();
                Assert.Equal(1, block.Count(v => v == 1f));
                Assert.Equal(block.Length - 1, block.Count(v => v == 0f));
            }
        }
    }

    [Property(MaxTest = 150)]
    public void Observed_cells_hold_the_last_value_of_their_bin_and_unobserved_cells_repeat_the_previous_row(int seed, byte count)
    {
        var (observations, end) = RandomEpisode(seed, count);
        var matrix = Discretizer.Transform(SeriesEpisode.FromObservations(observations), end);
        var normals = Discretizer.Transform(SeriesEpisode.FromObservations([]), end);

        // Expected observation per (bin, channel): input order, last wins; bins by the reference formula.
        var last = new Dictionary<(int Bin, int Channel), string>();
        foreach (var o in observations)
        {
            if (o.Hours > end + 1e-6) continue;
            int bin = (int)(o.Hours - 1e-6);
            if (bin < 0 || bin >= matrix.Steps) continue;
            last[(bin, o.Channel)] = o.Value;
        }
        for (int step = 0; step < matrix.Steps; step++)
        {
            var row = matrix.Row(step);
            for (int ch = 0; ch < Config.ChannelCount; ch++)
            {
                int begin = Config.BeginColumn(ch);
                int width = Config.IsCategorical(ch) ? Config.Categories(ch).Count : 1;
                var cell = row.Slice(begin, width);
                bool observed = last.TryGetValue((step, ch), out var value);
                Assert.Equal(observed ? 1f : 0f, row[Config.MaskColumn(ch)]);
                if (observed)
                {
                    if (Config.IsCategorical(ch)) Assert.Equal(1f, cell[IndexOf(Config.Categories(ch), value!)]);
                    else Assert.Equal((float)double.Parse(value!, CultureInfo.InvariantCulture), cell[0]);
                }
                else
                {
                    var previous = step == 0 ? normals.Row(0) : matrix.Row(step - 1);
                    if (!previous.Slice(begin, width).SequenceEqual(cell)) Assert.Fail($"step {step}, channel {ch}: not carried forward");
                }
            }
        }
    }

    [Property(MaxTest = 150)]
    public void Float32_output_is_the_rounded_float64_output(int seed, byte count)
    {
        var (observations, end) = RandomEpisode(seed, count);
        var episode = SeriesEpisode.FromObservations(observations);
        foreach (var normalizer in new[] { null, Normalizer.Reference })
        {
            var exact = new double[Discretizer.StepCount(end) * 76];
            Discretizer.Transform(episode, end, exact.AsSpan(), normalizer);
            var single = Discretizer.Transform(episode, end, normalizer).Values;
            Assert.Equal(exact.Length, single.Length);
            for (int i = 0; i < exact.Length; i++)
                if ((float)exact[i] != single[i]) Assert.Fail($"element {i}: {(float)exact[i]} != {single[i]}");
        }
    }

    static int IndexOf(IReadOnlyList<string> categories, string value)
    {
        for (int i = 0; i < categories.Count; i++)
            if (categories[i] == value) return i;
        return -1;
    }
}
