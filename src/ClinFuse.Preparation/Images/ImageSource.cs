namespace ClinFuse.Preparation.Images;

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
