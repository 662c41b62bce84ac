using ClinFuse.Core.Metrics;
using ClinFuse.Data.Synthetic;
using SkiaSharp;

namespace ClinFuse.Data.Tests.Synthetic;

/// <summary>The planted findings are visible to a trivial statistic.</summary>
public sealed class CxrRendererTests
{
    static CxrImageSpec Spec(int image, double opacity, double effusion) =>
        new("x.jpg", 3056, 2544, Lateral: false, Portable: true, opacity, effusion, HeartSize: 0, SupportDevices: false, Patient: 1, ImageIndex: image);

    /// <summary>Mean gray level in a band of rows and columns given as fractions of the image.</summary>
    static double MeanIn(byte[] pixels, int width, int height, double x0, double x1, double y0, double y1)
    {
        double sum = 0;
        int n = 0;
        for (int y = (int)(y0 * height); y < (int)(y1 * height); y++)
            for (int x = (int)(x0 * width); x < (int)(x1 * width); x++) { sum += pixels[y * width + x]; n++; }
        return sum / n;
    }

    static double LungMean(byte[] p, int w, int h) => (MeanIn(p, w, h, 0.2, 0.42, 0.3, 0.65) + MeanIn(p, w, h, 0.6, 0.8, 0.3, 0.65)) / 2;

    [Fact]
    public void Opacity_raises_mean_lung_brightness()
    {
        var scores = new List<double>();
        var labels = new List<byte>();
        for (int i = 0; i < 24; i++)
        {
            bool positive = i % 2 == 0;
            var spec = Spec(i, positive ? 1.5 : -1.0, effusion: -1);
            var (w, h) = CxrRenderer.SizeOf(spec, SynthImages.Small);
            scores.Add(LungMean(CxrRenderer.RenderPixels(spec, w, h, seed: 3), w, h));
            labels.Add((byte)(positive ? 1 : 0));
        }
        Assert.True(new RankedScores(scores.ToArray(), labels.ToArray()).Auroc() > 0.8);
    }

    [Fact]
    public void Effusion_brightens_the_lung_bases()
    {
        var scores = new List<double>();
        var labels = new List<byte>();
        for (int i = 0; i < 24; i++)
        {
            bool positive = i % 2 == 0;
            var spec = Spec(100 + i, opacity: -1, positive ? 2.0 : -1.0);
            var (w, h) = CxrRenderer.SizeOf(spec, SynthImages.Small);
            var pixels = CxrRenderer.RenderPixels(spec, w, h, seed: 3);
            scores.Add(MeanIn(pixels, w, h, 0.18, 0.82, 0.6, 0.74));
            labels.Add((byte)(positive ? 1 : 0));
        }
        Assert.True(new RankedScores(scores.ToArray(), labels.ToArray()).Auroc() > 0.8);
    }

    [Fact]
    public void Jpeg_has_the_requested_size_and_decodes_as_grayscale()
    {
        var spec = Spec(7, 0.5, 0.5);
        var bytes = CxrRenderer.RenderJpeg(spec, SynthImages.Small, seed: 1);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.Equal(512, bitmap.Width);
        Assert.Equal(3056 * 512 / 2544, bitmap.Height);
        Assert.Equal(CxrRenderer.RenderJpeg(spec, SynthImages.Small, seed: 1), bytes);
    }
}
