namespace ClinFuse.Features.Images;

/// <summary>Which rotation centre the random affine uses; the two torchvision generations differ.</summary>
public enum AffineCentre
{
    /// <summary>(W/2, H/2): torchvision ≥ 0.3 on PIL images (the unpinned torchvision of the paper's code).</summary>
    HalfSize,
    /// <summary>(W/2 + 0.5, H/2 + 0.5): torchvision 0.2.x, pinned by MedFuse.</summary>
    HalfSizePlusHalfPixel,
}

/// <summary>The parameters of one random affine draw (torchvision <c>RandomAffine.get_params</c>), shear fixed at 0.</summary>
public readonly record struct AffineParameters(double AngleDegrees, int TranslateX, int TranslateY, double Scale);

/// <summary>
/// The reference CXR transforms on 8-bit gray images (the reference replicates gray into 3 equal
/// channels, so one channel carries all information until normalisation): centre crop with
/// Python's half-to-even rounding, horizontal flip, Pillow-exact NEAREST affine with fill 0, and
/// ToTensor + ImageNet Normalize into a 3×H×W float32 tensor.
/// </summary>
public static class CxrTransforms
{
    /// <summary>ImageNet channel means used by the reference <c>Normalize</c>.</summary>
    public static ReadOnlySpan<float> Mean => [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet channel standard deviations used by the reference <c>Normalize</c>.</summary>
    public static ReadOnlySpan<float> Std => [0.229f, 0.224f, 0.225f];

    static readonly float[] NormalizeTable = BuildNormalizeTable();

    /// <summary>torchvision <c>CenterCrop(size)</c> offsets: <c>int(round((H − size) / 2))</c> with half-to-even rounding.</summary>
    public static (int Top, int Left) CentreCropOffsets(int width, int height, int size) =>
        ((int)Math.Round((height - size) / 2.0, MidpointRounding.ToEven), (int)Math.Round((width - size) / 2.0, MidpointRounding.ToEven));

    /// <summary>A <paramref name="size"/>×<paramref name="size"/> centre crop; the image must be at least that large.</summary>
    public static GrayImage CentreCrop(GrayImage image, int size)
    {
        if (image.Width < size || image.Height < size)
            throw new ArgumentException($"Cannot centre-crop {size}x{size} from a {image}: the resize step must make both sides at least {size}.", nameof(image));
        var (top, left) = CentreCropOffsets(image.Width, image.Height, size);
        var output = new GrayImage(size, size);
        for (int y = 0; y < size; y++)
            image.Pixels.AsSpan((top + y) * image.Width + left, size).CopyTo(output.Row(y));
        return output;
    }

    /// <summary>Mirror left-right (<c>RandomHorizontalFlip</c> when it fires).</summary>
    public static GrayImage FlipHorizontal(GrayImage image)
    {
        var output = new GrayImage(image.Width, image.Height);
        for (int y = 0; y < image.Height; y++)
        {
            image.Row(y).CopyTo(output.Row(y));
            output.Row(y).Reverse();
        }
        return output;
    }

    /// <summary>
    /// torchvision's inverse affine matrix (output pixel → input pixel, 2×3 row-major) for shear 0,
    /// as handed to Pillow's <c>Image.transform(AFFINE)</c>.
    /// </summary>
    public static double[] InverseAffineMatrix(int width, int height, AffineParameters p, AffineCentre centre)
    {
        double offset = centre == AffineCentre.HalfSizePlusHalfPixel ? 0.5 : 0.0;
        double cx = width * 0.5 + offset, cy = height * 0.5 + offset;
        double theta = p.AngleDegrees * Math.PI / 180.0;
        double cos = Math.Cos(theta), sin = Math.Sin(theta);
        var m = new[] { cos / p.Scale, sin / p.Scale, 0.0, -sin / p.Scale, cos / p.Scale, 0.0 };
        m[2] += m[0] * (-cx - p.TranslateX) + m[1] * (-cy - p.TranslateY);
        m[5] += m[3] * (-cx - p.TranslateX) + m[4] * (-cy - p.TranslateY);
        m[2] += cx;
        m[5] += cy;
        return m;
    }

    /// <summary><c>RandomAffine</c> with drawn parameters: Pillow NEAREST affine, same size, fill 0.</summary>
    public static GrayImage Affine(GrayImage image, AffineParameters p, AffineCentre centre) =>
        AffineNearest(image, InverseAffineMatrix(image.Width, image.Height, p, centre));

    /// <summary>
    /// Pillow's <c>ImagingTransformAffine</c> with NEAREST: 16.16 fixed-point stepping from the
    /// pixel centres, and its separate table-driven path when the matrix has no rotation terms.
    /// </summary>
    public static GrayImage AffineNearest(GrayImage image, ReadOnlySpan<double> m)
    {
        var output = new GrayImage(image.Width, image.Height);
        if (m[1] == 0 && m[3] == 0) ScaleAffineNearest(image, output, m);
        else if (FitsFixedPoint(m, output.Width, output.Height)) RotateAffineNearest(image, output, m);
        else RotateAffineNearestFloat(image, output, m);
        return output;
    }

    /// <summary>Pillow's <c>check_fixed</c> at the four corners: 16.16 arithmetic only when coordinates stay below 32768.</summary>
    static bool FitsFixedPoint(ReadOnlySpan<double> m, int width, int height)
    {
        foreach (var (x, y) in (ReadOnlySpan<(int, int)>)[(0, 0), (width, height), (0, height), (width, 0)])
            if (Math.Abs(x * m[0] + y * m[1] + m[2]) >= 32768.0 || Math.Abs(x * m[3] + y * m[4] + m[5]) >= 32768.0) return false;
        return true;
    }

    static int Coordinate(double v) => v < 0.0 ? -1 : (int)v;

    static void RotateAffineNearestFloat(GrayImage image, GrayImage output, ReadOnlySpan<double> m)
    {
        double xo = m[2] + m[1] * 0.5 + m[0] * 0.5, yo = m[5] + m[4] * 0.5 + m[3] * 0.5;
        for (int y = 0; y < output.Height; y++, xo += m[1], yo += m[4])
        {
            var row = output.Row(y);
            double xx = xo, yy = yo;
            for (int x = 0; x < row.Length; x++, xx += m[0], yy += m[3])
            {
                int xin = Coordinate(xx), yin = Coordinate(yy);
                if ((uint)xin < (uint)image.Width && (uint)yin < (uint)image.Height) row[x] = image.Pixels[yin * image.Width + xin];
            }
        }
    }

    static void RotateAffineNearest(GrayImage image, GrayImage output, ReadOnlySpan<double> m)
    {
        static int Fix(double v) => (int)Math.Floor(v * 65536.0 + 0.5);
        int a0 = Fix(m[0]), a1 = Fix(m[1]), a3 = Fix(m[3]), a4 = Fix(m[4]);
        int a2 = Fix(m[2] + m[0] * 0.5 + m[1] * 0.5);
        int a5 = Fix(m[5] + m[3] * 0.5 + m[4] * 0.5);
        int inWidth = image.Width, inHeight = image.Height;
        var source = image.Pixels;
        for (int y = 0; y < output.Height; y++, a2 += a1, a5 += a4)
        {
            var row = output.Row(y);
            int xx = a2, yy = a5;
            for (int x = 0; x < row.Length; x++, xx += a0, yy += a3)
            {
                int xin = xx >> 16, yin = yy >> 16;
                if ((uint)xin < (uint)inWidth && (uint)yin < (uint)inHeight) row[x] = source[yin * inWidth + xin];
            }
        }
    }

    static void ScaleAffineNearest(GrayImage image, GrayImage output, ReadOnlySpan<double> m)
    {
        int width = output.Width;
        var sourceColumn = new int[width];
        int firstX = width, endX = 0;
        double xo = m[2] + m[0] * 0.5, yo = m[5] + m[4] * 0.5;
        for (int x = 0; x < width; x++, xo += m[0])
        {
            int xin = Coordinate(xo);
            if (xin < 0 || xin >= image.Width) continue;
            endX = x + 1;
            firstX = Math.Min(firstX, x);
            sourceColumn[x] = xin;
        }
        for (int y = 0; y < output.Height; y++, yo += m[4])
        {
            int yin = Coordinate(yo);
            if (yin < 0 || yin >= image.Height) continue;
            var row = output.Row(y);
            var sourceRow = image.Row(yin);
            for (int x = firstX; x < endX; x++) row[x] = sourceRow[sourceColumn[x]];
        }
    }

    /// <summary>Draws <c>RandomAffine(degrees=45, translate=(0.15, 0.15), scale=(0.85, 1.15), shear=0)</c> parameters.</summary>
    public static AffineParameters DrawAffine(Random random, int width, int height, double degrees = 45, double translate = 0.15, double scaleMin = 0.85, double scaleMax = 1.15)
    {
        double angle = -degrees + random.NextDouble() * 2 * degrees;
        double maxDx = translate * width, maxDy = translate * height;
        int tx = (int)Math.Round(-maxDx + random.NextDouble() * 2 * maxDx, MidpointRounding.ToEven);
        int ty = (int)Math.Round(-maxDy + random.NextDouble() * 2 * maxDy, MidpointRounding.ToEven);
        double scale = scaleMin + random.NextDouble() * (scaleMax - scaleMin);
        return new AffineParameters(angle, tx, ty, scale);
    }

    /// <summary>ToTensor + Normalize value of 8-bit value <paramref name="v"/> in channel <paramref name="channel"/>, float32 exactly as torchvision.</summary>
    public static float Normalize(int channel, byte v) => NormalizeTable[channel * 256 + v];

    static float[] BuildNormalizeTable()
    {
        var table = new float[3 * 256];
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++)
                table[c * 256 + v] = ((float)v / 255f - Mean[c]) / Std[c];
        return table;
    }

    /// <summary>Writes the 3×H×W normalised tensor of a gray image (R = G = B) into <paramref name="destination"/>.</summary>
    public static void ToNormalizedTensor(GrayImage image, Span<float> destination)
    {
        int plane = image.Pixels.Length;
        if (destination.Length != 3 * plane) throw new ArgumentException($"Destination needs 3x{plane} floats.", nameof(destination));
        var pixels = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            var table = NormalizeTable.AsSpan(c * 256, 256);
            var channel = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) channel[i] = table[pixels[i]];
        }
    }

    /// <summary>The 3×H×W normalised tensor of a gray image as a new array.</summary>
    public static float[] ToNormalizedTensor(GrayImage image)
    {
        var tensor = new float[3 * image.Pixels.Length];
        ToNormalizedTensor(image, tensor);
        return tensor;
    }

    /// <summary>Eval/test transform up to the 8-bit crop: <c>Resize(resize)</c> → <c>CenterCrop(crop)</c>.</summary>
    public static GrayImage EvalCrop(GrayImage image, int resize = 256, int crop = 224) =>
        CentreCrop(PillowResample.ResizeShorterSide(image, resize), crop);

    /// <summary>
    /// Train transform up to the 8-bit crop: <c>Resize(256)</c> → flip (p = 0.5) → random affine →
    /// <c>CenterCrop(224)</c>, every draw from <paramref name="random"/> (seed it per sample and epoch).
    /// </summary>
    public static GrayImage TrainCrop(GrayImage image, Random random, AffineCentre centre = AffineCentre.HalfSize, int resize = 256, int crop = 224) =>
        AugmentAndCrop(PillowResample.ResizeShorterSide(image, resize), random, centre, crop);

    /// <summary>
    /// The train transform after <c>Resize</c>: flip (p = 0.5) → random affine → centre crop. Apply it
    /// to a cache slot, which already holds the resized image.
    /// </summary>
    public static GrayImage AugmentAndCrop(GrayImage resized, Random random, AffineCentre centre = AffineCentre.HalfSize, int crop = 224)
    {
        if (random.NextDouble() < 0.5) resized = FlipHorizontal(resized);
        var parameters = DrawAffine(random, resized.Width, resized.Height);
        return CentreCrop(Affine(resized, parameters, centre), crop);
    }
}
