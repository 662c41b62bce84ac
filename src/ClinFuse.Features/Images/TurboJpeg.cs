using System.Runtime.InteropServices;
using ClinFuse.Core;

namespace ClinFuse.Features.Images;

/// <summary>
/// Gray JPEG decoding through the system's TurboJPEG library (<c>libturbojpeg.so.0</c>, Debian package
/// <c>libturbojpeg0</c>), when it is installed: the SIMD build of libjpeg-turbo that Pillow uses, about
/// 2× faster at 512 px and 1.3× on full-size X-rays than the decoders bundled with SkiaSharp and libvips
/// (bench/ImagePipeline). Same library, same accurate integer IDCT: the pixels equal SkiaSharp's (tested).
/// Without it (or with CLINFUSE_NO_TURBOJPEG set), <see cref="ImageDecoder"/> uses the bundled decoders.
/// </summary>
internal static partial class TurboJpeg
{
    const string Library = "libturbojpeg.so.0";
    const int PixelFormatGray = 6;          // TJPF_GRAY
    const int FlagAccurateDct = 4096;       // TJFLAG_ACCURATEDCT: JDCT_ISLOW, as libvips and SkiaSharp decode
    const int ErrorWarning = 0;             // TJERR_WARNING

    /// <summary>Whether the library could be loaded (checked once per process).</summary>
    public static bool Available { get; } = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CLINFUSE_NO_TURBOJPEG"))
        && OperatingSystem.IsLinux() && NativeLibrary.TryLoad(Library, out _);

    /// <summary>
    /// Decodes a gray JPEG of <paramref name="width"/>×<paramref name="height"/> at 1/<paramref name="shrink"/>
    /// (1, 2, 4 or 8: libjpeg's DCT scaling, output size rounded up as libjpeg does).
    /// </summary>
    public static GrayImage DecodeGray(byte[] encoded, string name, int width, int height, int shrink)
    {
        int w = (width + shrink - 1) / shrink, h = (height + shrink - 1) / shrink;
        // Every byte is written by the decoder: no need to zero 7–8 MB first.
        var pixels = GC.AllocateUninitializedArray<byte>(w * h);
        var handle = tjInitDecompress();
        if (handle == IntPtr.Zero) throw new InvalidOperationException("tjInitDecompress failed.");
        try
        {
            if (tjDecompress2(handle, encoded, (nuint)encoded.Length, pixels, w, w, h, PixelFormatGray, FlagAccurateDct) != 0)
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
            _ = tjDestroy(handle);
        }
        return new GrayImage(w, h, pixels);
    }

    [LibraryImport(Library)]
    private static partial IntPtr tjInitDecompress();

    [LibraryImport(Library)]
    private static partial int tjDecompress2(IntPtr handle, byte[] jpegBuf, nuint jpegSize, byte[] dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library)]
    private static partial IntPtr tjGetErrorStr2(IntPtr handle);

    [LibraryImport(Library)]
    private static partial int tjGetErrorCode(IntPtr handle);

    [LibraryImport(Library)]
    private static partial int tjDestroy(IntPtr handle);
}
