using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

public sealed class ImageNoiseTests
{
    const int Side = 64;

    /// <summary>Statistics whose mean varies by position and is far from 0, so every perturbed pixel of a black image changes.</summary>
    static PixelStatistics Synthetic()
    {
        var mean = new float[Side * Side];
        var std = new float[Side * Side];
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = 100 + i % 50;
            std[i] = 4 + i % 7;
        }
        return new PixelStatistics(Side, Side, mean, std, 1000);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(0.6)]
    [InlineData(1.0)]
    public void Exactly_floor_p_n_pixels_are_perturbed(double fraction)
    {
        var statistics = Synthetic();
        var image = new byte[Side * Side];
        var noisy = new byte[Side * Side];
        ImageNoise.Apply(image, noisy, statistics, fraction, seed: 1, sampleId: "s-17");
        Assert.Equal((int)Math.Floor(fraction * Side * Side), noisy.Count(v => v != 0));
    }

    [Fact]
    public void Perturbed_values_follow_the_per_position_gaussian()
    {
        var statistics = Synthetic();
        var image = new byte[Side * Side];
        var noisy = new byte[Side * Side];
        double sum = 0, sumOfSquares = 0;
        int n = 0;
        for (int sample = 0; sample < 20; sample++)
        {
            ImageNoise.Apply(image, noisy, statistics, 0.5, seed: 3, sampleId: $"id{sample}");
            for (int i = 0; i < noisy.Length; i++)
            {
                if (noisy[i] == 0) continue;
                double z = (noisy[i] - statistics.Mean[i]) / statistics.Std[i];
                sum += z;
                sumOfSquares += z * z;
                n++;
            }
        }
        double mean = sum / n, variance = sumOfSquares / n - mean * mean;
        Assert.InRange(mean, -0.03, 0.03);
        // Rounding to integers adds variance 1/12 per unit of std (std 4..10 here).
        Assert.InRange(variance, 0.97, 1.05);
    }

    [Fact]
    public void Noise_depends_only_on_seed_and_sample_id()
    {
        var statistics = Synthetic();
        var image = new byte[Side * Side];
        new Random(5).NextBytes(image);
        byte[] Noisy(int seed, string id)
        {
            var output = new byte[Side * Side];
            ImageNoise.Apply(image, output, statistics, 0.3, seed, id);
            return output;
        }
        Assert.Equal(Noisy(9, "a"), Noisy(9, "a"));
        Assert.NotEqual(Noisy(9, "a"), Noisy(9, "b"));
        Assert.NotEqual(Noisy(9, "a"), Noisy(10, "a"));

        var untouched = new byte[Side * Side];
        ImageNoise.Apply(image, untouched, statistics, 0.0, 9, "a");
        Assert.Equal(image, untouched);
    }

    [Fact]
    public void Chosen_positions_are_spread_uniformly()
    {
        var statistics = Synthetic();
        var image = new byte[Side * Side];
        var noisy = new byte[Side * Side];
        var hits = new int[Side * Side];
        const int samples = 400;
        for (int s = 0; s < samples; s++)
        {
            ImageNoise.Apply(image, noisy, statistics, 0.2, seed: 0, sampleId: s.ToString());
            for (int i = 0; i < hits.Length; i++) if (noisy[i] != 0) hits[i]++;
        }
        // Each position is hit with probability 0.2: 80 of 400 expected, sd 8.
        Assert.InRange(hits.Average(), 79.9, 80.1);
        Assert.InRange(hits.Min(), 40, 80);
        Assert.InRange(hits.Max(), 80, 120);
    }

    [Fact]
    public void Add_mode_adds_and_clips()
    {
        var statistics = new PixelStatistics(2, 1, [300f, -400f], [0f, 0f], 1);
        var output = new byte[2];
        ImageNoise.Apply([10, 10], output, statistics, 1.0, 1, "x", ImageNoiseMode.Add);
        Assert.Equal([255, 0], output);
        ImageNoise.Apply([10, 10], output, new PixelStatistics(2, 1, [5f, 7f], [0f, 0f], 1), 1.0, 1, "x", ImageNoiseMode.Add);
        Assert.Equal([15, 17], output);
    }

    [Fact]
    public void Bad_fraction_is_refused()
    {
        var output = new byte[Side * Side];
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageNoise.Apply(new byte[Side * Side], output, Synthetic(), 1.5, 1, "x"));
    }

    [Fact]
    public void Statistics_are_the_per_position_mean_and_std_of_a_seeded_sample()
    {
        using var folder = Fixtures.TempFolder();
        // Images with constant value 10·k (k = 0..9): stats over all are exact; a sample of 4 is seeded.
        var sources = new List<ImageSource>();
        for (int k = 0; k < 10; k++)
        {
            var path = folder.Combine($"c{k}.png");
            WritePng(path, new GrayImage(8, 8, Enumerable.Repeat((byte)(10 * k), 64).ToArray()));
            sources.Add(new ImageSource($"s{k}", path));
        }
        sources.Add(new ImageSource("gone", folder.Combine("gone.png")));
        var preprocessing = new ImagePreprocessing(ResizeWidth: 0, Clahe: false, ShorterSide: 8, SlotSize: 8);
        ImageCacheBuilder.Build(folder.Combine("c.cache"), sources, preprocessing, new ComputeSettings(1));
        using var cache = ImageCache.Open(folder.Combine("c.cache"));
        var all = Enumerable.Range(0, cache.Count).ToArray();

        var full = ImageNoise.Estimate(cache, all, seed: 1);
        Assert.Equal(10, full.ImageCount);
        Assert.All(full.Mean, m => Assert.Equal(45f, m, 4));
        Assert.All(full.Std, s => Assert.Equal((float)Math.Sqrt(825), s, 3));

        var partial = ImageNoise.Estimate(cache, all, seed: 1, sampleCount: 4);
        Assert.Equal(4, partial.ImageCount);
        Assert.Equal(partial.Mean, ImageNoise.Estimate(cache, all, seed: 1, sampleCount: 4).Mean);
        Assert.Equal(0, partial.Mean[0] % 2.5f);
    }

    static void WritePng(string path, GrayImage image) => ImageWriter.WritePng(image, path);
}
