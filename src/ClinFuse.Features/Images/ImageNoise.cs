using ClinFuse.Core.Randomness;

namespace ClinFuse.Features.Images;

/// <summary>How a chosen pixel is corrupted.</summary>
public enum ImageNoiseMode
{
    /// <summary>The pixel becomes a draw from N(mean, std) of its position: plausible intensities at random places.</summary>
    Replace,
    /// <summary>A draw from N(mean, std) of its position is added to the pixel (the seed script's intent), clipped to 0..255.</summary>
    Add,
}

/// <summary>Per-pixel-position mean and standard deviation of a set of same-size gray images.</summary>
public sealed record PixelStatistics(int Width, int Height, float[] Mean, float[] Std, int ImageCount);

/// <summary>
/// Image noise for the robustness experiments (paper §V-G): a fraction p of the pixel positions of
/// an image, chosen without replacement, are perturbed with Gaussian noise whose mean and standard
/// deviation are those of that position over 1,000 random training images. Applied on the fly to
/// the cached slot image; the choice of pixels and the draws depend only on (seed, sample id), so a
/// sample gets the same noise in every epoch and every run with that seed.
/// </summary>
public static class ImageNoise
{
    /// <summary>
    /// Estimates per-position statistics from up to <paramref name="sampleCount"/> present slots drawn
    /// without replacement (seeded) from <paramref name="candidateSlots"/> (the training split).
    /// </summary>
    public static PixelStatistics Estimate(ImageCache cache, IReadOnlyList<int> candidateSlots, int seed, int sampleCount = 1000)
    {
        var present = new List<int>(candidateSlots.Count);
        foreach (int slot in candidateSlots)
            if (cache.Status(slot) == ImageSlotStatus.Present) present.Add(slot);
        if (present.Count == 0) throw new ArgumentException("No candidate slot holds an image; image-noise statistics need at least one.", nameof(candidateSlots));

        var chosen = present.ToArray();
        var random = new SeededRandom(Seeds.ForId(seed, "image-noise-statistics"));
        int count = Math.Min(sampleCount, chosen.Length);
        random.ChooseFront(chosen, count);

        int size = cache.SlotBytes;
        var sum = new long[size];
        var sumOfSquares = new long[size];
        var pixels = new byte[size];
        for (int n = 0; n < count; n++)
        {
            cache.Read(chosen[n], pixels);
            for (int i = 0; i < size; i++)
            {
                int v = pixels[i];
                sum[i] += v;
                sumOfSquares[i] += v * v;
            }
        }
        var mean = new float[size];
        var std = new float[size];
        for (int i = 0; i < size; i++)
        {
            double m = (double)sum[i] / count;
            mean[i] = (float)m;
            std[i] = (float)Math.Sqrt(Math.Max(0.0, (double)sumOfSquares[i] / count - m * m));
        }
        return new PixelStatistics(cache.Width, cache.Height, mean, std, count);
    }

    /// <summary>
    /// Writes the noisy version of <paramref name="image"/> into <paramref name="destination"/>:
    /// floor(<paramref name="fraction"/>·pixels) positions perturbed, the others copied.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> image, Span<byte> destination, PixelStatistics statistics, double fraction,
        int seed, string sampleId, ImageNoiseMode mode = ImageNoiseMode.Replace)
    {
        int size = statistics.Width * statistics.Height;
        if (image.Length != size || destination.Length != size) throw new ArgumentException($"Image and destination must have {size} pixels, as the statistics.");
        if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"The noise fraction must be in [0, 1], got {fraction}.");

        image.CopyTo(destination);
        int perturbed = (int)Math.Floor(fraction * size);
        if (perturbed == 0) return;

        var random = new SeededRandom(Seeds.ForId(seed, sampleId));
        var positions = new int[size];
        for (int i = 0; i < size; i++) positions[i] = i;
        random.ChooseFront(positions, perturbed);
        for (int n = 0; n < perturbed; n++)
        {
            int p = positions[n];
            double draw = statistics.Mean[p] + statistics.Std[p] * Gaussian(ref random);
            double value = mode == ImageNoiseMode.Replace ? draw : destination[p] + draw;
            destination[p] = (byte)Math.Clamp(Math.Round(value, MidpointRounding.ToEven), 0, 255);
        }
    }

    /// <summary>
    /// Standard normal by Box–Muller from two uniforms in (0, 1]: the image noise's own transform
    /// (<see cref="SeededRandom.NextGaussian"/> draws its uniforms differently), kept so that noisy
    /// images, and the robustness results measured on them, stay as they are.
    /// </summary>
    static double Gaussian(ref SeededRandom random)
    {
        double u1 = ((random.NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));
        double u2 = ((random.NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
