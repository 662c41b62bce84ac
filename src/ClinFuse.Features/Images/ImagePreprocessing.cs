using ClinFuse.Core;

namespace ClinFuse.Features.Images;

/// <summary>
/// The offline part of the image pipeline, from a file to the fixed-size gray image a cache slot
/// holds: decode (OpenCV gray) → <c>resize.py</c> to <see cref="ResizeWidth"/> (Pillow BICUBIC) →
/// optional CLAHE (clip 2.0, 8×8) → <c>Resize(<see cref="ShorterSide"/>)</c> (Pillow BILINEAR) →
/// centre crop <see cref="SlotSize"/>². The reference's lossy JPEG re-encodes after resize.py (q75)
/// and CLAHE (q95) are left out on purpose.
/// </summary>
/// <param name="ResizeWidth">Width of the resize.py step; 0 skips it.</param>
/// <param name="Clahe">Apply CLAHE after the resize.py step, as the paper's preprocessing does.</param>
/// <param name="ShorterSide">The loader's <c>Resize</c> size (256 in the reference).</param>
/// <param name="SlotSize">Side of the stored square: 256 keeps room for the train augmentation; 224 is the eval crop itself.</param>
/// <param name="ShrinkOnLoad">Let the JPEG decoder downscale by 1/2, 1/4 or 1/8 while staying at least <see cref="ResizeWidth"/> wide: several times faster on full-size X-rays, not bit-identical to the reference.</param>
public sealed record ImagePreprocessing(int ResizeWidth = 512, bool Clahe = true, int ShorterSide = 256, int SlotSize = 256, bool ShrinkOnLoad = false)
{
    /// <summary>The largest <see cref="ResizeWidth"/> (16× the paper's 512: beyond it a resize is a bomb, not a preprocessing).</summary>
    public const int MaxResizeWidth = 8192;

    /// <summary>An image with a side shorter than this (or than <see cref="SlotSize"/>, whichever is less) is not a chest X-ray: the cache refuses it as corrupt.</summary>
    public const int MinXraySide = 64;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (ResizeWidth < 0 || ResizeWidth > MaxResizeWidth) throw new ArgumentException($"ResizeWidth must be 0 (keep) or between 1 and {MaxResizeWidth}, got {ResizeWidth}.");
        if (ShorterSide <= 0) throw new ArgumentException($"ShorterSide must be positive, got {ShorterSide}.");
        if (SlotSize <= 0 || SlotSize > ShorterSide) throw new ArgumentException($"SlotSize must be between 1 and ShorterSide ({ShorterSide}), got {SlotSize}.");
    }

    /// <summary>Decode + resize.py + CLAHE: the image the reference wrote to disk before training (without its JPEG loss).</summary>
    public GrayImage LoadResized(string path)
    {
        using var encoded = ImageDecoder.ReadFile(path, pooled: true);
        using var decoded = Decode(encoded.Span, path);
        return Resize(decoded, path);
    }

    /// <summary>resize.py + CLAHE applied to an image already decoded (<paramref name="name"/> names it in error messages).</summary>
    public GrayImage Resize(GrayImage decoded, string name = "image") =>
        Resize(new PooledGrayImage(decoded.Width, decoded.Height, decoded.Pixels), name);

    /// <summary>The decode step: into a pooled buffer when resize.py follows (the decoded image is then only read once, by it).</summary>
    PooledGrayImage Decode(ReadOnlySpan<byte> encoded, string name) =>
        ImageDecoder.Decode(encoded, name, ShrinkOnLoad ? ResizeWidth : 0, pooled: ResizeWidth > 0);

    GrayImage Resize(PooledGrayImage decoded, string name)
    {
        if (ResizeWidth > 0 && (long)ResizeWidth * decoded.Height / decoded.Width * ResizeWidth > ImageDecoder.MaxPixels)
            throw new ClinFuseException($"Resizing {name} ({decoded.Width}×{decoded.Height}) to width {ResizeWidth} would give more than {ImageDecoder.MaxPixels:N0} pixels.",
                "Use a smaller resize width.");
        var resized = ResizeWidth > 0 ? PillowResample.ResizeToWidth(decoded.Buffer, decoded.Width, decoded.Height, ResizeWidth) : decoded.ToImage();
        return Clahe ? Images.Clahe.Paper.Apply(resized) : resized;
    }

    /// <summary>
    /// The full offline pipeline: the <see cref="SlotSize"/>² image stored in a cache slot. An image
    /// with a side under <see cref="MinXraySide"/> (or <see cref="SlotSize"/>) pixels is refused (<see cref="ClinFuseException"/>).
    /// </summary>
    public GrayImage LoadSlot(string path)
    {
        using var encoded = ImageDecoder.ReadFile(path, pooled: true);
        return LoadSlot(encoded.Span, path);
    }

    /// <summary>The full offline pipeline on an encoded image in memory (<paramref name="name"/> names it in error messages).</summary>
    public GrayImage LoadSlot(byte[] encoded, string name) => LoadSlot(encoded.AsSpan(), name);

    GrayImage LoadSlot(ReadOnlySpan<byte> encoded, string name)
    {
        using var decoded = Decode(encoded, name);
        int minimum = Math.Min(MinXraySide, SlotSize);
        if (decoded.Width < minimum || decoded.Height < minimum)
            throw new ClinFuseException($"Image {name} is {decoded.Width}×{decoded.Height} pixels: too small for a chest X-ray (at least {minimum} per side).",
                "The file is a placeholder or damaged; re-export or exclude it.");
        return ToSlot(Resize(decoded, name));
    }

    /// <summary><c>Resize(ShorterSide)</c> then the centre crop to the slot size.</summary>
    public GrayImage ToSlot(GrayImage resized) =>
        CxrTransforms.CentreCrop(PillowResample.ResizeShorterSide(resized, ShorterSide), SlotSize);
}
