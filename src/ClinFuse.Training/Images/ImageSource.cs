namespace ClinFuse.Training.Images;

/// <summary>How an image is wanted: for evaluation (as cached) or for training (augmented with a seed).</summary>
/// <param name="Augment">True for the training view.</param>
/// <param name="Seed">Seed of the sample's augmentation in this epoch (ignored for evaluation).</param>
public readonly record struct ImageView(bool Augment, ulong Seed)
{
    /// <summary>The evaluation view: the image exactly as cached.</summary>
    public static ImageView Eval => default;

    /// <summary>The training view with the augmentation fixed by <paramref name="seed"/>.</summary>
    public static ImageView Train(ulong seed) => new(true, seed);
}

/// <summary>
/// Where batches get their chest X-rays: a cache of preprocessed images addressed by the slot a
/// prepared split stores per sample. Implementations must be thread-safe (batches are built on
/// background threads) and deterministic for a given view.
/// </summary>
public interface IImageSource
{
    /// <summary>Number of slots.</summary>
    int Count { get; }

    /// <summary>Side length in pixels of the square images (224 for the reference).</summary>
    int Size { get; }

    /// <summary>Writes image <paramref name="slot"/> as normalised float32 [3 × Size × Size] into <paramref name="destination"/>.</summary>
    void Fill(int slot, Span<float> destination, ImageView view);
}

/// <summary>
/// Images held in memory, already normalised. The training view flips an image horizontally with
/// probability ½ decided by the view's seed; evaluation returns it unchanged.
/// </summary>
public sealed class InMemoryImageSource : IImageSource
{
    readonly float[][] images;

    /// <summary>Wraps <paramref name="images"/>, each [3 × <paramref name="size"/> × <paramref name="size"/>].</summary>
    public InMemoryImageSource(IReadOnlyList<float[]> images, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        int expected = 3 * size * size;
        for (int i = 0; i < images.Count; i++)
            if (images[i].Length != expected)
                throw new ArgumentException($"Image {i} has {images[i].Length} values, expected 3×{size}×{size} = {expected}.", nameof(images));
        this.images = [.. images];
        Size = size;
    }

    /// <inheritdoc />
    public int Count => images.Length;

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void Fill(int slot, Span<float> destination, ImageView view)
    {
        if ((uint)slot >= (uint)images.Length)
            throw new ArgumentOutOfRangeException(nameof(slot), $"Image slot {slot} is outside the cache's {images.Length} images.");
        var source = images[slot].AsSpan();
        bool flip = view.Augment && (Core.Randomness.Seeds.SplitMix64(view.Seed) & 1) == 1;
        if (!flip)
        {
            source.CopyTo(destination);
            return;
        }
        for (int row = 0; row < 3 * Size; row++)
        {
            var from = source.Slice(row * Size, Size);
            var to = destination.Slice(row * Size, Size);
            for (int x = 0; x < Size; x++) to[x] = from[Size - 1 - x];
        }
    }
}
