namespace ClinFuse.Features.Images;

/// <summary>
/// An 8-bit single-channel image, row-major, no padding between rows. Every stage of the image
/// pipeline (decode, resize, CLAHE, crop, noise) reads and writes this one layout.
/// </summary>
public sealed class GrayImage
{
    public GrayImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        if (pixels.Length != checked(width * height)) throw new ArgumentException($"Expected {width * height} pixels for {width}x{height}, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>A black image of the given size.</summary>
    public GrayImage(int width, int height) : this(width, height, new byte[checked(width * height)]) { }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Pixel (x, y) is at <c>y * Width + x</c>.</summary>
    public byte[] Pixels { get; }

    public Span<byte> Row(int y) => Pixels.AsSpan(y * Width, Width);

    public byte this[int x, int y] => Pixels[y * Width + x];

    public override string ToString() => $"{Width}x{Height}";
}
