using ClinFuse.Core;
using SkiaSharp;

namespace ClinFuse.Features.Images;

/// <summary>
/// Decodes JPEG and PNG files to 8-bit gray the way the reference reads them
/// (OpenCV <c>imread(path, IMREAD_GRAYSCALE)</c>): gray files are taken as stored; for colour PNGs the
/// libpng conversion OpenCV requests, <c>(9797·R + 19234·G + 3737·B) &gt;&gt; 15</c>, and R when
/// R = G = B. Decoding is done by SkiaSharp (libjpeg-turbo, libpng) with no colour management.
/// </summary>
public static class ImageDecoder
{
    /// <summary>File extensions the pipeline reads.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png"];

    /// <summary>True when the file name has one of <see cref="Extensions"/>.</summary>
    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads and decodes a file; throws <see cref="ClinFuseException"/> naming the file when it is missing or unreadable.</summary>
    public static GrayImage DecodeFile(string path, int minimumWidth = 0)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinFuseException($"Cannot read image {path}: {e.Message}", "Check that the file exists and is readable.", inner: e);
        }
        return Decode(bytes, path, minimumWidth);
    }

    /// <summary>
    /// Decodes an encoded image. <paramref name="minimumWidth"/> &gt; 0 allows JPEG shrink-on-load:
    /// libjpeg-turbo's DCT scaling by 1/2, 1/4 or 1/8 as long as the result stays at least that wide.
    /// It is much faster for full-size X-rays but not pixel-identical to a full decode followed by a
    /// resize (see docs/images.md), so parity runs leave it at 0.
    /// </summary>
    public static GrayImage Decode(ReadOnlySpan<byte> encoded, string name, int minimumWidth = 0)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new ClinFuseException($"Cannot decode image {name}: not a readable JPEG or PNG.", "Only JPEG and PNG files are supported; the file may be truncated or corrupt.");

        var info = codec.Info;
        var size = info.Size;
        if (minimumWidth > 0 && codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
            size = ShrunkSize(codec, minimumWidth);

        bool gray = info.ColorType == SKColorType.Gray8;
        var target = new SKImageInfo(size.Width, size.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var pixels = new byte[target.BytesSize];
        var decoded = codec.GetPixels(target, pixels);
        if (decoded != SKCodecResult.Success)
            throw new ClinFuseException($"Cannot decode image {name}: {Describe(decoded)}.", "The file may be truncated or corrupt; re-export or exclude it.");

        if (gray) return new GrayImage(size.Width, size.Height, pixels);
        return new GrayImage(size.Width, size.Height, RgbaToGray(pixels, size.Width * size.Height));
    }

    static SKSizeI ShrunkSize(SKCodec codec, int minimumWidth)
    {
        var best = codec.Info.Size;
        foreach (float scale in (ReadOnlySpan<float>)[0.5f, 0.25f, 0.125f])
        {
            var scaled = codec.GetScaledDimensions(scale);
            if (scaled.Width < minimumWidth) break;
            best = scaled;
        }
        return best;
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
