using SkiaSharp;

namespace ClinFuse.Data.Synthetic;

/// <summary>
/// Draws a chest-radiograph-like grayscale image procedurally: body outline, two lung fields with
/// ribs, clavicles, spine and heart shadow (one lung field for a lateral view), with planted
/// findings whose strength follows the latent state: opacities (lung factor), a basal effusion with
/// a meniscus (fluid factor), heart size, and tubes/ECG leads when support devices are present.
/// </summary>
internal static class CxrRenderer
{
    /// <summary>Pixel size of the image written for <paramref name="spec"/> at <paramref name="mode"/>.</summary>
    public static (int Width, int Height) SizeOf(CxrImageSpec spec, SynthImages mode) =>
        mode == SynthImages.Full ? (spec.Columns, spec.Rows) : (512, spec.Rows * 512 / spec.Columns);

    /// <summary>Renders <paramref name="spec"/> into 8-bit gray pixels (row-major, no padding).</summary>
    public static byte[] RenderPixels(CxrImageSpec spec, int width, int height, int seed)
    {
        var rng = new SynthRandom(seed, spec.Patient, 1_000_000 + spec.ImageIndex);
        double dx = rng.Uniform(-0.02, 0.02), dy = rng.Uniform(-0.02, 0.02);
        double contrast = rng.Uniform(0.9, 1.1), brightness = rng.Uniform(-8, 8);
        double heart = Math.Clamp(1 + 0.08 * spec.HeartSize, 0.85, 1.4) * (spec.Portable ? 1.08 : 1.0);
        double opacityAmplitude = 45 * Softplus(2 * (spec.Opacity - 0.4)) / 2;
        double effusionHeight = Math.Min(0.22, 0.12 * Softplus(2.5 * (spec.Effusion - 0.6)) / 2.5);

        // Opacity blobs sit in the mid and lower zones of either lung.
        int blobCount = 1 + rng.NextInt(3);
        var blobs = new (double X, double Y, double InvTwoSigmaSq)[blobCount];
        for (int b = 0; b < blobCount; b++)
        {
            double side = spec.Lateral ? 0.48 : rng.Chance(0.5) ? 0.31 : 0.69;
            double sigma = rng.Uniform(0.05, 0.09);
            blobs[b] = (side + dx + rng.Uniform(-0.07, 0.07), 0.47 + dy + rng.Uniform(-0.08, 0.15), 1 / (2 * sigma * sigma));
        }
        bool effusionLeft = rng.Chance(0.6), effusionRight = rng.Chance(0.6) || !effusionLeft;
        var leads = new (double X, double Y)[3];
        for (int i = 0; i < leads.Length; i++) leads[i] = (rng.Uniform(0.2, 0.8), rng.Uniform(0.12, 0.35));

        var pixels = new byte[width * height];
        double invW = 1.0 / width, invH = 1.0 / height;
        ulong noiseBits = 0;
        int noiseLeft = 0;
        for (int py = 0; py < height; py++)
        {
            double y = (py + 0.5) * invH;
            for (int px = 0; px < width; px++)
            {
                double x = (px + 0.5) * invW;
                double v = spec.Lateral
                    ? Lateral(x, y, dx, dy, heart, blobs, opacityAmplitude, effusionHeight)
                    : Frontal(x, y, dx, dy, heart, blobs, opacityAmplitude, effusionHeight, effusionLeft, effusionRight);
                if (spec.SupportDevices && !spec.Lateral) v = Devices(x, y, dx, v, leads);
                if (noiseLeft == 0) { noiseBits = rng.NextUInt64(); noiseLeft = 4; }
                double noise = ((noiseBits & 0xFF) + ((noiseBits >> 8) & 0xFF)) / 255.0 - 1;
                noiseBits >>= 16;
                noiseLeft--;
                v = v * contrast + brightness + 9 * noise;
                pixels[py * width + px] = (byte)Math.Clamp(v, 0, 255);
            }
        }
        return pixels;
    }

    /// <summary>Renders and JPEG-encodes <paramref name="spec"/>.</summary>
    public static byte[] RenderJpeg(CxrImageSpec spec, SynthImages mode, int seed)
    {
        var (width, height) = SizeOf(spec, mode);
        var pixels = RenderPixels(spec, width, height, seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var target = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        for (int row = 0; row < height; row++)
            pixels.AsSpan(row * width, width).CopyTo(target.Slice(row * stride, width));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90)
            ?? throw new InvalidOperationException("SkiaSharp could not encode a JPEG.");
        return data.ToArray();
    }

    static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));

    /// <summary>1 inside the ellipse, 0 outside, with a soft rim.</summary>
    static double Ellipse(double x, double y, double cx, double cy, double rx, double ry, double rim = 0.08)
    {
        double ex = (x - cx) / rx, ey = (y - cy) / ry;
        double d = ex * ex + ey * ey;
        return d >= 1 ? 0 : Math.Min(1, (1 - d) / rim);
    }

    static double Blobs((double X, double Y, double InvTwoSigmaSq)[] blobs, double x, double y)
    {
        double sum = 0;
        foreach (var b in blobs)
        {
            double ddx = x - b.X, ddy = y - b.Y;
            double e = (ddx * ddx + ddy * ddy) * b.InvTwoSigmaSq;
            if (e < 9) sum += Math.Exp(-e);
        }
        return sum;
    }

    static double Frontal(double x, double y, double dx, double dy, double heart,
        (double, double, double)[] blobs, double opacity, double effusionHeight, bool effusionLeft, bool effusionRight)
    {
        double cx = 0.5 + dx;
        double body = Ellipse(x, y, cx, 0.56 + dy, 0.47, 0.55, 0.05);
        double v = 12 + 80 * body;
        double right = Ellipse(x, y, 0.31 + dx, 0.44 + dy, 0.15, 0.29);
        double left = Ellipse(x, y, 0.69 + dx, 0.44 + dy, 0.14, 0.28);
        double lung = Math.Max(left, right);
        v -= 55 * lung;
        double ribPhase = 8.5 * (y - 0.15 - dy) + 2.2 * (x - cx) * (x - cx);
        double rib = ribPhase - Math.Floor(ribPhase) < 0.16 ? 1 : 0;
        v += 18 * lung * rib;
        v += lung * opacity * Blobs(blobs, x, y);
        if (effusionHeight > 0.005)
        {
            if (effusionRight) v = Effusion(x, y, v, right, 0.31 + dx, 0.44 + dy, 0.15, 0.29, effusionHeight);
            if (effusionLeft) v = Effusion(x, y, v, left, 0.69 + dx, 0.44 + dy, 0.14, 0.28, effusionHeight);
        }
        double heartShadow = Ellipse(x, y, 0.55 + dx, 0.62 + dy, 0.12 * heart, 0.11, 0.15);
        v += heartShadow * (150 - v) * 0.9;
        if (Math.Abs(x - cx) < 0.035) v += 45 * body;
        double clavicle = 0.17 + dy + 0.12 * Math.Abs(x - cx);
        if (Math.Abs(y - clavicle) < 0.012 && Math.Abs(x - cx) is > 0.04 and < 0.3) v += 35;
        return v;
    }

    static double Effusion(double x, double y, double v, double lungMask, double lx, double ly, double rx, double ry, double height)
    {
        if (lungMask <= 0) return v;
        double ex = (x - lx) / rx;
        double bottom = ly + ry * Math.Sqrt(Math.Max(0, 1 - ex * ex));
        // Meniscus: the fluid line rises towards the lateral chest wall.
        double lateral = lx < 0.5 ? -ex : ex;
        double level = bottom - height * (1 + 0.4 * lateral);
        if (y < level) return v;
        double edge = Math.Min(1, (y - level) / 0.01);
        return v + lungMask * edge * (135 - v) * 0.85;
    }

    static double Lateral(double x, double y, double dx, double dy, double heart,
        (double, double, double)[] blobs, double opacity, double effusionHeight)
    {
        double body = Ellipse(x, y, 0.5 + dx, 0.55 + dy, 0.42, 0.52, 0.05);
        double v = 12 + 85 * body;
        double lung = Ellipse(x, y, 0.48 + dx, 0.45 + dy, 0.3, 0.3);
        v -= 50 * lung;
        v += lung * opacity * Blobs(blobs, x, y);
        if (effusionHeight > 0.005 && x > 0.5 + dx)
            v = Effusion(x, y, v, lung, 0.48 + dx, 0.45 + dy, 0.3, 0.3, effusionHeight);
        double heartShadow = Ellipse(x, y, 0.38 + dx, 0.6 + dy, 0.14 * heart, 0.13, 0.15);
        v += heartShadow * (140 - v) * 0.8;
        if (Math.Abs(x - (0.78 + dx)) < 0.035 && y > 0.2) v += 50 * body;
        return v;
    }

    static double Devices(double x, double y, double dx, double v, (double X, double Y)[] leads)
    {
        if (Math.Abs(x - (0.5 + dx)) < 0.003 && y is > 0.02 and < 0.3) return 230;
        foreach (var (lx, ly) in leads)
        {
            double ddx = x - lx, ddy = (y - ly) * 1.2;
            if (ddx * ddx + ddy * ddy < 0.00015) return 220;
        }
        return v;
    }
}
