using ClinFuse.Core;
using ClinFuse.Core.Randomness;
using ClinFuse.Features.Images;

namespace ClinFuse.Preparation.Images;

/// <summary>Gaussian pixel noise applied to every image a source serves (the paper's robustness protocol).</summary>
/// <param name="Statistics">Per-position mean and standard deviation from training images.</param>
/// <param name="Fraction">Share of pixels perturbed, 0..1.</param>
/// <param name="Seed">Noise seed; with the sample id it fixes the perturbation, identical in every epoch.</param>
public sealed record ImageNoiseSettings(PixelStatistics Statistics, double Fraction, int Seed);

/// <summary>
/// Serves the chest X-rays of a prepared store's image cache as the CNN's input: the cached 8-bit
/// slot (already decoded, resized and CLAHE'd by <c>prepare</c>), optionally perturbed with
/// <see cref="ImageNoiseSettings"/>, then the reference transforms: for evaluation the centre crop,
/// for training flip + random affine + centre crop drawn from the view's seed; then ImageNet
/// normalisation into three equal channels. Thread-safe: the cache is a read-only memory map.
/// </summary>
public sealed class CachedImageSource : IImageSource, IDisposable
{
    readonly ImageCache cache;
    readonly ImageNoiseSettings? noise;

    /// <summary>Serves <paramref name="cache"/> at <paramref name="size"/> pixels (224 for the reference).</summary>
    public CachedImageSource(ImageCache cache, int size = 224, ImageNoiseSettings? noise = null)
    {
        if (size > cache.Width || size > cache.Height)
            throw new ClinFuseException($"The image cache {cache.Path} holds {cache.Width}x{cache.Height} images; a {size}-pixel crop does not fit.",
                "Prepare the store again with a larger slot size, or train with smaller images.");
        if (noise is not null && (noise.Statistics.Width != cache.Width || noise.Statistics.Height != cache.Height))
            throw new ArgumentException("Noise statistics must be estimated on this cache's slot size.", nameof(noise));
        this.cache = cache;
        this.noise = noise;
        Size = size;
    }

    /// <summary>
    /// The crop the network sees from a cached slot of <paramref name="slotSize"/> pixels: 7/8 of it, as
    /// the reference's 224-pixel crop of a 256-pixel resize (so a store prepared at 128 pixels trains at 112).
    /// </summary>
    public static int CropSize(int slotSize) => slotSize * 224 / 256;

    /// <summary>
    /// Opens the image cache of a prepared store at <paramref name="size"/> pixels (default: the
    /// <see cref="CropSize"/> of its slots), or returns null when it has none (series-only store).
    /// </summary>
    public static IImageSource? OpenForStore(string storeFolder, int? size = null)
    {
        var path = Path.Combine(storeFolder, PreparedStore.ImageCacheFile);
        if (!File.Exists(path)) return null;
        var cache = ImageCache.Open(path);
        return new CachedImageSource(cache, size ?? CropSize(Math.Min(cache.Width, cache.Height)));
    }

    /// <summary>The underlying cache.</summary>
    public ImageCache Cache => cache;

    /// <inheritdoc />
    public int Count => cache.Count;

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void Fill(int slot, Span<float> destination, ImageView view)
    {
        var image = cache.Get(slot);
        if (noise is not null)
        {
            var noisy = new byte[image.Pixels.Length];
            ImageNoise.Apply(image.Pixels, noisy, noise.Statistics, noise.Fraction, noise.Seed, cache.SampleIds[slot]);
            image = new GrayImage(image.Width, image.Height, noisy);
        }
        var cropped = view.Augment
            ? CxrTransforms.AugmentAndCrop(image, Seeds.SystemRandom(view.Seed), crop: Size)
            : CxrTransforms.CentreCrop(image, Size);
        CxrTransforms.ToNormalizedTensor(cropped, destination);
    }

    /// <summary>A source over the same cache whose images carry <paramref name="settings"/> noise.</summary>
    public CachedImageSource WithNoise(ImageNoiseSettings settings) => new(cache, Size, settings);

    /// <summary>Closes the memory map (shared with sources made by <see cref="WithNoise"/>).</summary>
    public void Dispose() => cache.Dispose();
}
