using System.Buffers;

namespace ClinFuse.Features.Images;

/// <summary>
/// A decoded gray image in the first <see cref="Width"/> × <see cref="Height"/> bytes of <see cref="Buffer"/>
/// (row-major, no padding), which may be rented from the shared array pool and then be longer than the
/// image. <see cref="Dispose"/> returns a rented buffer; the image must not be used afterwards.
/// </summary>
internal sealed class PooledGrayImage(int width, int height, byte[] buffer, bool rented) : IDisposable
{
    bool rented = rented;

    public int Width { get; } = width;
    public int Height { get; } = height;
    public byte[] Buffer { get; } = buffer;

    /// <summary>A buffer for a <paramref name="width"/>×<paramref name="height"/> image from the shared pool (contents undefined).</summary>
    public static PooledGrayImage Rent(int width, int height) => new(width, height, ArrayPool<byte>.Shared.Rent(checked(width * height)), rented: true);

    /// <summary>The pixels as a <see cref="GrayImage"/> of its own: the buffer itself when it is not rented and fits exactly, else a copy.</summary>
    public GrayImage ToImage() =>
        !rented && Buffer.Length == Width * Height ? new GrayImage(Width, Height, Buffer) : new GrayImage(Width, Height, Buffer.AsSpan(0, Width * Height).ToArray());

    public void Dispose()
    {
        if (!rented) return;
        rented = false;
        ArrayPool<byte>.Shared.Return(Buffer);
    }
}
