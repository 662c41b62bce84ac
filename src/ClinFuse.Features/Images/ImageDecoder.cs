using ClinFuse.Core;
using SkiaSharp;

namespace ClinFuse.Features.Images;

/// <summary>
/// Decodes JPEG and PNG files to 8-bit gray the way the reference reads them
/// (OpenCV <c>imread(path, IMREAD_GRAYSCALE)</c>): gray files are taken as stored; for colour PNGs the
/// libpng conversion OpenCV requests, <c>(9797·R + 19234·G + 3737·B) &gt;&gt; 15</c>, and R when
/// R = G = B. Gray JPEGs (every MIMIC-CXR-JPG file) go to the system's TurboJPEG when it is installed
/// (<see cref="TurboJpeg"/>, which also reads their header); otherwise large ones (full-size X-rays) go
/// to libvips' libjpeg-turbo and small ones to SkiaSharp. Everything else is decoded by SkiaSharp (libjpeg-turbo, libpng) with no
/// colour management. All paths give the same pixels.
/// </summary>
public static class ImageDecoder
{
    /// <summary>File extensions the pipeline reads.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png"];

    /// <summary>True when the file name has one of <see cref="Extensions"/>.</summary>
    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads and decodes a file; throws <see cref="ClinFuseException"/> naming the file when it is missing or unreadable.</summary>
    public static GrayImage DecodeFile(string path, int minimumWidth = 0) => Decode(ReadFile(path), path, minimumWidth);

    /// <summary>The bytes of an image file; throws <see cref="ClinFuseException"/> naming the file when it is missing or unreadable.</summary>
    internal static byte[] ReadFile(string path)
    {
        using var bytes = ReadFile(path, pooled: false);
        return bytes.Buffer;
    }

    /// <summary>
    /// <see cref="ReadFile(string)"/>; with <paramref name="pooled"/>, into a buffer rented from the shared array pool
    /// (a full-size X-ray is about 1 MB, which a stream of images then reuses). Dispose the result to return it.
    /// </summary>
    internal static PooledBytes ReadFile(string path, bool pooled)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            long length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
                throw new ClinFuseException($"Cannot read image {path}: {length:N0} bytes is too large for an image file.", "Check that the path names an X-ray image.");
            var bytes = pooled ? PooledBytes.Rent((int)length) : new PooledBytes(new byte[length], (int)length, rented: false);
            try
            {
                int done = 0;
                while (done < bytes.Length)
                {
                    int read = RandomAccess.Read(handle, bytes.Buffer.AsSpan(done, bytes.Length - done), done);
                    if (read == 0) throw new IOException("The file became shorter while it was read.");
                    done += read;
                }
                return bytes;
            }
            catch
            {
                bytes.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinFuseException($"Cannot read image {path}: {e.Message}", "Check that the file exists and is readable.", inner: e);
        }
    }

    /// <summary>
    /// Decompression-bomb limit: an image whose header claims more pixels is refused before any
    /// pixel memory is allocated (a full-size MIMIC-CXR image has 5–16 million; the limit keeps
    /// width × height × 4 bytes inside 32-bit sizes of the native decoders).
    /// </summary>
    public const long MaxPixels = 200_000_000;

    /// <summary>Largest width or height accepted (the JPEG format itself allows 65,535).</summary>
    public const int MaxSide = 30_000;

    /// <summary>Gray JPEGs with at least this many pixels are decoded by libvips.</summary>
    const int LargeJpegPixels = 2_000_000;

    static ImageDecoder()
    {
        // The pipeline parallelises over images; libvips must neither cache decoded images nor start its own threads.
        NetVips.Cache.Max = 0;
        NetVips.NetVips.Concurrency = 1;
        // Damaged files surface as a ClinFuseException naming the file; libvips' own stderr warnings would only add noise.
        NetVips.Log.SetLogHandler("VIPS", NetVips.Enums.LogLevelFlags.Warning, static (_, _, _) => { });
    }

    /// <summary>
    /// Decodes an encoded image. <paramref name="minimumWidth"/> &gt; 0 allows JPEG shrink-on-load:
    /// libjpeg-turbo's DCT scaling by 1/2, 1/4 or 1/8 as long as the result stays at least that wide.
    /// It is much faster for full-size X-rays but not pixel-identical to a full decode followed by a
    /// resize (see docs/images.md), so parity runs leave it at 0.
    /// </summary>
    public static GrayImage Decode(byte[] encoded, string name, int minimumWidth = 0)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        using var decoded = Decode(encoded, name, minimumWidth, pooled: false);
        return decoded.ToImage();
    }

    /// <summary>
    /// <see cref="Decode(byte[], string, int)"/>; with <paramref name="pooled"/>, into a buffer rented from the shared
    /// array pool where the system TurboJPEG decodes the file (full-size X-rays: 5–16 MB that a stream of images
    /// then reuses rather than faulting in fresh pages for each). Dispose the result to return it.
    /// </summary>
    internal static PooledGrayImage Decode(ReadOnlySpan<byte> encoded, string name, int minimumWidth, bool pooled)
    {
        // Gray JPEGs: the library reads the header itself, with no copy of the file and no codec object.
        if (TurboJpeg.Available && TurboJpeg.TryReadHeader(encoded, out int width, out int height, out bool gray) && gray)
        {
            CheckSize(width, height, name);
            int shrink = 1;
            if (minimumWidth > 0)
                foreach (int candidate in (ReadOnlySpan<int>)[2, 4, 8])
                {
                    if (TurboJpeg.ScaledSize(width, height, candidate).Width < minimumWidth) break;
                    shrink = candidate;
                }
            var (w, h) = TurboJpeg.ScaledSize(width, height, shrink);
            var image = pooled ? PooledGrayImage.Rent(w, h) : new PooledGrayImage(w, h, GC.AllocateUninitializedArray<byte>(w * h));
            try
            {
                TurboJpeg.DecodeGray(encoded, name, w, h, image.Buffer);
            }
            catch
            {
                image.Dispose();
                throw;
            }
            return image;
        }
        var bundled = DecodeBundled(encoded, name, minimumWidth);
        return new PooledGrayImage(bundled.Width, bundled.Height, bundled.Pixels);
    }

    /// <summary>Refuses a header size beyond <see cref="MaxSide"/> or <see cref="MaxPixels"/>.</summary>
    static void CheckSize(int width, int height, string name)
    {
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide || (long)width * height > MaxPixels)
            throw new ClinFuseException($"Cannot decode image {name}: its header claims {width}×{height} pixels, more than the limit of {MaxSide:N0} per side and {MaxPixels:N0} in all.",
                "The file is damaged or not an X-ray; re-export or exclude it.");
    }

    /// <summary>The decoders bundled with SkiaSharp and libvips (everything but gray JPEGs when the system has TurboJPEG).</summary>
    static GrayImage DecodeBundled(ReadOnlySpan<byte> encoded, string name, int minimumWidth)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new ClinFuseException($"Cannot decode image {name}: not a readable JPEG or PNG.", "Only JPEG and PNG files are supported; the file may be truncated or corrupt.");

        var info = codec.Info;
        CheckSize(info.Width, info.Height, name);
        var (size, shrink) = minimumWidth > 0 && codec.EncodedFormat == SKEncodedImageFormat.Jpeg
            ? ShrunkSize(codec, minimumWidth)
            : (info.Size, 1);

        bool gray = info.ColorType == SKColorType.Gray8;
        if (gray && codec.EncodedFormat == SKEncodedImageFormat.Jpeg && (long)info.Width * info.Height >= LargeJpegPixels)
            return DecodeLargeGrayJpeg(encoded.ToArray(), name, shrink);
        var target = new SKImageInfo(size.Width, size.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var pixels = new byte[target.BytesSize];
        var decoded = codec.GetPixels(target, pixels);
        if (decoded != SKCodecResult.Success)
            throw new ClinFuseException($"Cannot decode image {name}: {Describe(decoded)}.", "The file may be truncated or corrupt; re-export or exclude it.");

        if (gray) return new GrayImage(size.Width, size.Height, pixels);
        return new GrayImage(size.Width, size.Height, RgbaToGray(pixels, size.Width * size.Height));
    }

    /// <summary>The pixel size an encoded JPEG or PNG declares in its header (nothing is decoded), or null when it is neither.</summary>
    public static (int Width, int Height)? ReadSize(byte[] encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        return codec?.EncodedFormat is SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png ? (codec.Info.Width, codec.Info.Height) : null;
    }

    /// <summary>The smallest libjpeg DCT scaling (1/2, 1/4, 1/8) that keeps the width at least <paramref name="minimumWidth"/>.</summary>
    static (SKSizeI Size, int Shrink) ShrunkSize(SKCodec codec, int minimumWidth)
    {
        var best = (codec.Info.Size, 1);
        foreach (int shrink in (ReadOnlySpan<int>)[2, 4, 8])
        {
            var scaled = codec.GetScaledDimensions(1f / shrink);
            if (scaled.Width < minimumWidth) break;
            best = (scaled, shrink);
        }
        return best;
    }

    /// <summary>The libvips decoder of large gray JPEGs (used when the system has no TurboJPEG).</summary>
    internal static GrayImage DecodeLargeGrayJpeg(byte[] encoded, string name, int shrink)
    {
        try
        {
            using var image = NetVips.Image.JpegloadBuffer(encoded, shrink: shrink, access: NetVips.Enums.Access.Sequential, failOn: NetVips.Enums.FailOn.Error);
            if (image.Bands != 1 || image.Format != NetVips.Enums.BandFormat.Uchar)
                throw new ClinFuseException($"Cannot decode image {name}: expected an 8-bit gray JPEG, got {image.Bands} band(s) of {image.Format}.", "Convert the file to 8-bit grayscale.");
            return new GrayImage(image.Width, image.Height, image.WriteToMemory<byte>());
        }
        catch (NetVips.VipsException e)
        {
            throw new ClinFuseException($"Cannot decode image {name}: the JPEG data is truncated or damaged.", "Re-export the file or exclude it.", inner: e);
        }
    }

    /// <summary>libpng's rgb-to-gray as OpenCV requests it for IMREAD_GRAYSCALE (truncating fixed point; exact for R = G = B).</summary>
    internal static byte[] RgbaToGray(ReadOnlySpan<byte> rgba, int count)
    {
        var gray = new byte[count];
        for (int i = 0, j = 0; i < count; i++, j += 4)
        {
            int r = rgba[j], g = rgba[j + 1], b = rgba[j + 2];
            gray[i] = r == g && g == b ? (byte)r : (byte)((9797 * r + 19234 * g + 3737 * b) >> 15);
        }
        return gray;
    }

    static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => "the data is truncated or damaged",
        SKCodecResult.InvalidInput or SKCodecResult.Unimplemented => "not a JPEG or PNG image",
        _ => result.ToString(),
    };
}
