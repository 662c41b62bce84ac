using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ClinFuse.Core;

namespace ClinFuse.Features.Images;

/// <summary>
/// Gray JPEG decoding through the system's TurboJPEG library (<c>libturbojpeg.so.0</c>, Debian package
/// <c>libturbojpeg0</c>), when it is installed: the SIMD build of libjpeg-turbo that Pillow uses, about
/// 2× faster at 512 px and 1.3× on full-size X-rays than the decoders bundled with SkiaSharp and libvips
/// (bench/ImagePipeline). Same library, same accurate integer IDCT: the pixels equal SkiaSharp's (tested).
/// Decompressor handles are kept for reuse (one per concurrent caller) and the header is read by the
/// library itself, so a decode costs no more than libjpeg-turbo's own work.
/// Without it (or with CLINFUSE_NO_TURBOJPEG set), <see cref="ImageDecoder"/> uses the bundled decoders.
/// </summary>
internal static partial class TurboJpeg
{
    const string Library = "libturbojpeg.so.0";
    const int ColorspaceGray = 2;           // TJCS_GRAY
    const int FlagAccurateDct = 4096;       // TJFLAG_ACCURATEDCT: JDCT_ISLOW, as libvips and SkiaSharp decode
    const int ErrorWarning = 0;             // TJERR_WARNING

    /// <summary>Whether the library could be loaded (checked once per process).</summary>
    public static bool Available { get; } = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CLINFUSE_NO_TURBOJPEG"))
        && OperatingSystem.IsLinux() && NativeLibrary.TryLoad(Library, out _);

    /// <summary>Idle decompressor handles; at most one per thread that decoded at the same time, kept for the process.</summary>
    static readonly ConcurrentBag<IntPtr> Handles = [];

    /// <summary>
    /// The size and whether the image is gray, from a JPEG header; false when the data is not a JPEG
    /// the library can parse (a PNG, a damaged header), which then goes to the bundled decoders.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> encoded, out int width, out int height, out bool gray)
    {
        var handle = Rent();
        try
        {
            bool ok = tjDecompressHeader3(handle, encoded, (nuint)encoded.Length, out width, out height, out _, out int colorspace) == 0;
            gray = ok && colorspace == ColorspaceGray;
            return ok;
        }
        finally
        {
            Handles.Add(handle);
        }
    }

    /// <summary>The output size of a decode at 1/<paramref name="shrink"/> (libjpeg's DCT scaling rounds up).</summary>
    public static (int Width, int Height) ScaledSize(int width, int height, int shrink) =>
        ((width + shrink - 1) / shrink, (height + shrink - 1) / shrink);

    /// <summary>
    /// Decodes a gray JPEG of <paramref name="width"/>×<paramref name="height"/> at 1/<paramref name="shrink"/>
    /// (1, 2, 4 or 8: libjpeg's DCT scaling, output size rounded up as libjpeg does).
    /// </summary>
    public static GrayImage DecodeGray(ReadOnlySpan<byte> encoded, string name, int width, int height, int shrink)
    {
        var (w, h) = ScaledSize(width, height, shrink);
        // Every byte is written by the decoder: no need to zero 7–8 MB first.
        var pixels = GC.AllocateUninitializedArray<byte>(w * h);
        DecodeGray(encoded, name, w, h, pixels);
        return new GrayImage(w, h, pixels);
    }

    /// <summary>
    /// Decodes a gray JPEG into the first <paramref name="scaledWidth"/>×<paramref name="scaledHeight"/> bytes of
    /// <paramref name="destination"/> (a size from <see cref="ScaledSize"/>; the library picks the matching DCT scaling).
    /// </summary>
    public static void DecodeGray(ReadOnlySpan<byte> encoded, string name, int scaledWidth, int scaledHeight, byte[] destination)
    {
        if (destination.Length < scaledWidth * scaledHeight) throw new ArgumentException("Destination too small for the image.", nameof(destination));
        var handle = Rent();
        try
        {
            // The raw-data path below writes every component plane: it must only ever see a one-component JPEG.
            if (tjDecompressHeader3(handle, encoded, (nuint)encoded.Length, out _, out _, out _, out int colorspace) == 0 && colorspace != ColorspaceGray)
                throw new ArgumentException($"{name} is not a gray JPEG.", nameof(encoded));
            // A gray JPEG's "YUV" image is its Y plane alone, which with 1-byte row padding is the gray image itself:
            // libjpeg-turbo's raw-data path writes the IDCT output straight into it, skipping the copy of every row
            // that its gray-to-gray "colour conversion" does (same samples; about 5 % of the decode).
            if (tjDecompressToYUV2(handle, encoded, (nuint)encoded.Length, destination, scaledWidth, 1, scaledHeight, FlagAccurateDct) != 0)
            {
                // Recoverable warnings (e.g. extraneous bytes) still give an image, as libvips accepts them;
                // a truncated file or a fatal error does not.
                string message = Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";
                if (tjGetErrorCode(handle) != ErrorWarning || message.Contains("Premature end", StringComparison.OrdinalIgnoreCase))
                    throw new ClinFuseException($"Cannot decode image {name}: the JPEG data is truncated or damaged ({message}).", "Re-export the file or exclude it.");
            }
        }
        finally
        {
            // A handle is reusable after an error too: the next call starts a new decompression.
            Handles.Add(handle);
        }
    }

    static IntPtr Rent()
    {
        if (Handles.TryTake(out var handle)) return handle;
        handle = tjInitDecompress();
        return handle != IntPtr.Zero ? handle : throw new InvalidOperationException("tjInitDecompress failed.");
    }

    [LibraryImport(Library)]
    private static partial IntPtr tjInitDecompress();

    [LibraryImport(Library)]
    private static partial int tjDecompressHeader3(IntPtr handle, ReadOnlySpan<byte> jpegBuf, nuint jpegSize, out int width, out int height, out int jpegSubsamp, out int jpegColorspace);

    [LibraryImport(Library)]
    private static partial int tjDecompressToYUV2(IntPtr handle, ReadOnlySpan<byte> jpegBuf, nuint jpegSize, byte[] dstBuf, int width, int pad, int height, int flags);

    [LibraryImport(Library)]
    private static partial IntPtr tjGetErrorStr2(IntPtr handle);

    [LibraryImport(Library)]
    private static partial int tjGetErrorCode(IntPtr handle);
}
