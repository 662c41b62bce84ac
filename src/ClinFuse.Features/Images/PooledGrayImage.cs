using System.Buffers;

namespace ClinFuse.Features.Images;

/// <summary>
/// The first <see cref="Length"/> bytes of <see cref="Buffer"/>, which may be rented from the shared array
/// pool and then be longer. <see cref="Dispose"/> returns a rented buffer; it must not be used afterwards.
/// </summary>
internal sealed class PooledBytes(byte[] buffer, int length, bool rented) : IDisposable
{
    public byte[] Buffer { get; } = buffer;
    public int Length { get; } = length;
    public bool Rented { get; private set; } = rented;
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    /// <summary>A buffer of at least <paramref name="length"/> bytes from the shared pool (contents undefined).</summary>
    public static PooledBytes Rent(int length) => new(ArrayPool<byte>.Shared.Rent(length), length, rented: true);

    public void Dispose()
    {
        if (!Rented) return;
        Rented = false;
        ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// A decoded gray image in the first <see cref="Width"/> × <see cref="Height"/> bytes of <see cref="Buffer"/>
/// (row-major, no padding), which may be rented from the shared array pool (see <see cref="PooledBytes"/>).
/// </summary>
internal sealed class PooledGrayImage(int width, int height, PooledBytes pixels) : IDisposable
{
    public PooledGrayImage(int width, int height, byte[] pixels) : this(width, height, new PooledBytes(pixels, pixels.Length, rented: false)) { }

    public int Width { get; } = width;
    public int Height { get; } = height;
    public byte[] Buffer => pixels.Buffer;

    /// <summary>A buffer for a <paramref name="width"/>×<paramref name="height"/> image from the shared pool (contents undefined).</summary>
    public static PooledGrayImage Rent(int width, int height) => new(width, height, PooledBytes.Rent(checked(width * height)));

    /// <summary>The pixels as a <see cref="GrayImage"/> of its own: the buffer itself when it is not rented and fits exactly, else a copy.</summary>
    public GrayImage ToImage() =>
        !pixels.Rented && Buffer.Length == Width * Height ? new GrayImage(Width, Height, Buffer) : new GrayImage(Width, Height, Buffer.AsSpan(0, Width * Height).ToArray());

    public void Dispose() => pixels.Dispose();
}
