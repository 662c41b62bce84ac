using ClinFuse.Core;
using SkiaSharp;

namespace ClinFuse.Features.Images;

/// <summary>Encodes gray images (PNG, JPEG) and writes lossless 8-bit single-channel PNGs atomically (temporary file, then rename).</summary>
public static class ImageWriter
{
    /// <summary>The PNG bytes of <paramref name="image"/>.</summary>
    public static byte[] EncodePng(GrayImage image) => Encode(image, SKEncodedImageFormat.Png, 100);

    /// <summary>A single-channel (grayscale) JPEG of <paramref name="image"/> at the given quality (1–100).</summary>
    public static byte[] EncodeJpeg(GrayImage image, int quality) => Encode(image, SKEncodedImageFormat.Jpeg, quality);

    static byte[] Encode(GrayImage image, SKEncodedImageFormat format, int quality)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var pixmap = new SKPixmap();
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(image.Pixels, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            pixmap.Reset(info, handle.AddrOfPinnedObject(), image.Width);
            using var data = pixmap.Encode(format, quality)
                ?? throw new InvalidOperationException($"{format} encoding of a {image} image failed.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>
    /// Writes <paramref name="image"/> to <paramref name="path"/> through <see cref="AtomicFile"/>: a reader
    /// never sees a partial file, and a failed write (full disk, read-only file system) leaves no temporary file.
    /// </summary>
    public static void WritePng(GrayImage image, string path) => AtomicFile.WriteAllBytes(path, EncodePng(image));
}
