using ClinFuse.Core.Randomness;
using ClinFuse.Preparation.Images;

namespace ClinFuse.Training.Tests;

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
        bool flip = view.Augment && (Seeds.SplitMix64(view.Seed) & 1) == 1;
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
