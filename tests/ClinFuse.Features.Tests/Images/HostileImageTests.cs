using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

/// <summary>Images that must not reach a cache slot (docs/reliability.md): they are listed as corrupt, and the others are stored.</summary>
public sealed class HostileImageTests
{
    static byte[] JpegClaiming(int width, int height) =>
        HostileFiles.JpegClaiming(ImageWriter.EncodeJpeg(new GrayImage(16, 16, new byte[256]), 90), width, height);

    [Theory]
    [InlineData(60000, 60000)]
    [InlineData(65000, 4000)]
    public void A_header_beyond_the_decompression_bomb_limits_is_refused_before_decoding(int width, int height)
    {
        var e = Assert.Throws<ClinFuseException>(() => ImageDecoder.Decode(JpegClaiming(width, height), "bomb.jpg"));
        Assert.Contains($"bomb.jpg: its header claims {width}×{height} pixels", e.Message);
    }

    [Fact]
    public void A_cache_lists_bombs_and_one_pixel_images_as_corrupt_and_stores_the_x_ray()
    {
        using var folder = Fixtures.TempFolder();
        var bomb = folder.Combine("bomb.jpg");
        File.WriteAllBytes(bomb, JpegClaiming(60000, 60000));
        var dot = folder.Combine("dot.jpg");
        File.WriteAllBytes(dot, ImageWriter.EncodeJpeg(new GrayImage(1, 1, [128]), 90));
        var xray = folder.Combine("xray.png");
        var pixels = new byte[300 * 240];
        new Random(3).NextBytes(pixels);
        ImageWriter.WritePng(new GrayImage(300, 240, pixels), xray);

        var summary = ImageCacheBuilder.Build(folder.Combine("c.cache"), [new("bomb", bomb), new("dot", dot), new("xray", xray)],
            new ImagePreprocessing(ResizeWidth: 256, Clahe: false), new ComputeSettings(2));
        Assert.Equal((1, 2), (summary.Present, summary.Corrupt));
        Assert.Contains("60000×60000", summary.Problems.Single(p => p.SampleId == "bomb").Message);
        Assert.Contains("1×1 pixels: too small for a chest X-ray", summary.Problems.Single(p => p.SampleId == "dot").Message);
        using var cache = ImageCache.Open(folder.Combine("c.cache"));
        Assert.True(cache.HasImage("xray"));
        Assert.False(cache.HasImage("dot"));
    }
}
