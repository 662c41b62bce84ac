using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

public sealed class ImageIoTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(333, 256)]
    public void Png_round_trip_is_lossless(int width, int height)
    {
        using var folder = Fixtures.TempFolder();
        var pixels = new byte[width * height];
        new Random(width * 31 + height).NextBytes(pixels);
        var image = new GrayImage(width, height, pixels);
        var path = folder.Combine("out.png");
        ImageWriter.WritePng(image, path);
        Assert.Equal(pixels, ImageDecoder.DecodeFile(path).Pixels);
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Unreadable_inputs_raise_a_message_naming_the_file()
    {
        using var folder = Fixtures.TempFolder();
        var text = folder.Combine("notes.png");
        File.WriteAllText(text, "not an image");
        Assert.Contains(text, Assert.Throws<ClinFuseException>(() => ImageDecoder.DecodeFile(text)).Message);
        var absent = folder.Combine("absent.jpg");
        Assert.Contains(absent, Assert.Throws<ClinFuseException>(() => ImageDecoder.DecodeFile(absent)).Message);
        var empty = folder.Combine("empty.jpg");
        File.WriteAllBytes(empty, []);
        Assert.Contains(empty, Assert.Throws<ClinFuseException>(() => ImageDecoder.DecodeFile(empty)).Message);
    }

    [Fact]
    public void Shrink_on_load_keeps_at_least_the_requested_width()
    {
        using var folder = Fixtures.TempFolder();
        var jpeg = Fixtures.Path("clahe", "inputs", "jpeg_q95_00008569_000_256x256.jpg");
        Assert.Equal(256, ImageDecoder.DecodeFile(jpeg).Width);
        Assert.Equal(128, ImageDecoder.DecodeFile(jpeg, minimumWidth: 100).Width);
        Assert.Equal(256, ImageDecoder.DecodeFile(jpeg, minimumWidth: 200).Width);
        // PNG has no DCT scaling: always full size.
        Assert.Equal(256, ImageDecoder.DecodeFile(Fixtures.Path("clahe", "inputs", "cxr_00008569_000_256x256.png"), minimumWidth: 64).Width);
    }
}

public sealed class LargeJpegTests
{
    /// <summary>A 1600×1300 gray JPEG (over the size from which libvips decodes), made from a fixture X-ray.</summary>
    static byte[] LargeJpeg()
    {
        var xray = ImageDecoder.DecodeFile(Fixtures.Path("clahe", "inputs", "cxr_00015192_000_512x512.png"));
        return ImageWriter.EncodeJpeg(PillowResample.Resize(xray, 1600, 1300, ResampleFilter.Bicubic), 95);
    }

    /// <summary>The decoders of large gray JPEGs: what <see cref="ImageDecoder.Decode"/> picks, and each one directly.</summary>
    public static TheoryData<string> Decoders => ["default", "libvips", "turbojpeg"];

    static GrayImage DecodeWith(string decoder, byte[] jpeg, int width, int height, int shrink) => decoder switch
    {
        "libvips" => ImageDecoder.DecodeLargeGrayJpeg(jpeg, "large.jpg", shrink),
        "turbojpeg" => TurboJpeg.DecodeGray(jpeg, "large.jpg", width, height, shrink),
        _ => ImageDecoder.Decode(jpeg, "large.jpg", minimumWidth: shrink == 1 ? 0 : (width + shrink - 1) / shrink),
    };

    [Fact]
    public void The_system_turbojpeg_is_installed_as_the_project_scripts_install_it()
    {
        // ./test.sh and ./clinfuse install libturbojpeg0 when they can; CLINFUSE_NO_TURBOJPEG opts out.
        if (Environment.GetEnvironmentVariable("CLINFUSE_NO_TURBOJPEG") is null)
            Assert.True(TurboJpeg.Available, "libturbojpeg.so.0 is missing: run ./test.sh (it installs libturbojpeg0) or apt-get install libturbojpeg0.");
        else
            Assert.False(TurboJpeg.Available);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Large_gray_jpeg_decodes_to_the_same_pixels_as_libjpeg_turbo_in_Skia(string decoder)
    {
        if (decoder == "turbojpeg" && !TurboJpeg.Available) return; // its absence is reported by the test above
        var jpeg = LargeJpeg();
        using var bitmap = SkiaSharp.SKBitmap.Decode(jpeg, new SkiaSharp.SKImageInfo(1600, 1300, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque));
        var decoded = DecodeWith(decoder, jpeg, 1600, 1300, 1);
        Assert.Equal((1600, 1300), (decoded.Width, decoded.Height));
        Assert.Equal(bitmap.Bytes, decoded.Pixels);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Large_gray_jpeg_shrink_on_load_matches_Skia_scaled_decode(string decoder)
    {
        if (decoder == "turbojpeg" && !TurboJpeg.Available) return; // its absence is reported by the test above
        var jpeg = LargeJpeg();
        using var codec = SkiaSharp.SKCodec.Create(new SkiaSharp.SKMemoryStream(jpeg));
        var size = codec.GetScaledDimensions(0.25f);
        var info = new SkiaSharp.SKImageInfo(size.Width, size.Height, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque);
        var expected = new byte[info.BytesSize];
        Assert.Equal(SkiaSharp.SKCodecResult.Success, codec.GetPixels(info, expected));
        var decoded = DecodeWith(decoder, jpeg, 1600, 1300, 4);
        Assert.Equal((size.Width, size.Height), (decoded.Width, decoded.Height));
        Assert.Equal(expected, decoded.Pixels);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Truncated_large_jpeg_is_a_clear_error(string decoder)
    {
        if (decoder == "turbojpeg" && !TurboJpeg.Available) return; // its absence is reported by the test above
        var full = LargeJpeg();
        var jpeg = full[..(full.Length * 2 / 3)];
        var error = Assert.Throws<ClinFuseException>(() => decoder switch
        {
            "libvips" => ImageDecoder.DecodeLargeGrayJpeg(jpeg, "cut.jpg", 1),
            "turbojpeg" => TurboJpeg.DecodeGray(jpeg, "cut.jpg", 1600, 1300, 1),
            _ => ImageDecoder.Decode(jpeg, "cut.jpg"),
        });
        Assert.Contains("cut.jpg", error.Message);
    }
}

/// <summary>TurboJPEG's raw-data decode of gray JPEGs (the Y plane written in place) against Skia's full decode.</summary>
public sealed class TurboJpegRawDecodeTests
{
    [Theory]
    [InlineData(1001, 777, 1)]
    [InlineData(1001, 777, 2)]
    [InlineData(1001, 777, 4)]
    [InlineData(1001, 777, 8)]
    [InlineData(67, 9, 1)]
    public void Odd_sized_gray_jpeg_decodes_to_Skias_pixels_at_every_scale(int width, int height, int shrink)
    {
        if (!TurboJpeg.Available) return; // its absence is reported by LargeJpegTests
        var xray = ImageDecoder.DecodeFile(Fixtures.Path("clahe", "inputs", "cxr_00015192_000_512x512.png"));
        var jpeg = ImageWriter.EncodeJpeg(PillowResample.Resize(xray, width, height, ResampleFilter.Bicubic), 95);
        using var codec = SkiaSharp.SKCodec.Create(new SkiaSharp.SKMemoryStream(jpeg));
        var size = codec.GetScaledDimensions(1f / shrink);
        var info = new SkiaSharp.SKImageInfo(size.Width, size.Height, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque);
        var expected = new byte[info.BytesSize];
        Assert.Equal(SkiaSharp.SKCodecResult.Success, codec.GetPixels(info, expected));

        var decoded = TurboJpeg.DecodeGray(jpeg, "odd.jpg", width, height, shrink);
        Assert.Equal((size.Width, size.Height), (decoded.Width, decoded.Height));
        Assert.Equal(expected, decoded.Pixels);
    }

    [Fact]
    public void A_colour_jpeg_is_refused_before_its_planes_are_written()
    {
        if (!TurboJpeg.Available) return; // its absence is reported by LargeJpegTests
        using var bitmap = new SkiaSharp.SKBitmap(64, 48, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
        bitmap.Erase(new SkiaSharp.SKColor(200, 30, 90));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
        var destination = new byte[64 * 48];
        Assert.Throws<ArgumentException>(() => TurboJpeg.DecodeGray(data.ToArray(), "colour.jpg", 64, 48, destination));
        // Through the decoder, the same file is an ordinary colour image converted to gray.
        var gray = ImageDecoder.Decode(data.ToArray(), "colour.jpg");
        Assert.Equal((64, 48), (gray.Width, gray.Height));
    }
}
