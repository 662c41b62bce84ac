using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClinFuse.Features.Images;

/// <summary>The Pillow resampling filters the reference pipeline uses.</summary>
public enum ResampleFilter
{
    /// <summary>Pillow BILINEAR: triangle filter widened by the downscale factor (antialiased); torchvision <c>Resize</c> on PIL images.</summary>
    Bilinear,
    /// <summary>Pillow BICUBIC (a = −0.5), also widened when downscaling; Pillow's default for mode L, used by <c>resize.py</c>.</summary>
    Bicubic,
}

/// <summary>
/// Bit-exact port of Pillow's 8-bit convolution resampling (<c>Resample.c</c>): separable,
/// horizontal pass first with the result rounded to uint8, then the vertical pass; weights computed
/// in double, normalised, then converted to 22-bit fixed point.
/// </summary>
public static class PillowResample
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes to <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static GrayImage Resize(GrayImage image, int width, int height, ResampleFilter filter)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Target size must be positive, got {width}x{height}.");
        if (width == image.Width && height == image.Height) return new GrayImage(width, height, (byte[])image.Pixels.Clone());

        var horizontal = width == image.Width ? image : ResampleHorizontal(image, width, filter);
        return height == image.Height ? horizontal : ResampleVertical(horizontal, height, filter);
    }

    /// <summary><c>resize.py</c>: width <paramref name="width"/>, height truncated to keep the aspect ratio, BICUBIC.</summary>
    public static GrayImage ResizeToWidth(GrayImage image, int width)
    {
        int height = Math.Max(1, (int)(image.Height * ((double)width / image.Width)));
        return Resize(image, width, height, ResampleFilter.Bicubic);
    }

    /// <summary>torchvision <c>Resize(size)</c> on a PIL image: shorter side to <paramref name="size"/>, longer side truncated, BILINEAR.</summary>
    public static GrayImage ResizeShorterSide(GrayImage image, int size)
    {
        var (width, height) = ShorterSideSize(image.Width, image.Height, size);
        return Resize(image, width, height, ResampleFilter.Bilinear);
    }

    /// <summary>The output size of torchvision's <c>Resize(size)</c> for a W×H input.</summary>
    public static (int Width, int Height) ShorterSideSize(int width, int height, int size)
    {
        if (width <= height) return (size, (int)(size * (double)height / width));
        return ((int)(size * (double)width / height), size);
    }

    /// <summary>
    /// Per output index: first input index, tap count and fixed-point weights (row-major,
    /// <c>TapsPerOutput</c> wide, padded with zero weights to a whole number of vectors).
    /// </summary>
    sealed record Coefficients(int[] First, int[] Count, int[] Weights, int TapsPerOutput);

    static Coefficients Precompute(int inputSize, int outputSize, ResampleFilter filter)
    {
        double support0 = filter == ResampleFilter.Bicubic ? 2.0 : 1.0;
        double scale = (double)inputSize / outputSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = support0 * filterScale;
        int maxTaps = (int)Math.Ceiling(support) * 2 + 1;
        int taps = (maxTaps + Vector256<int>.Count - 1) / Vector256<int>.Count * Vector256<int>.Count;
        var first = new int[outputSize];
        var count = new int[outputSize];
        var weights = new int[outputSize * taps];
        var raw = new double[maxTaps];
        double inverseFilterScale = 1.0 / filterScale;
        for (int i = 0; i < outputSize; i++)
        {
            double center = (i + 0.5) * scale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inputSize) - xmin;
            double total = 0;
            for (int k = 0; k < xmax; k++)
            {
                double w = Kernel(filter, (k + xmin - center + 0.5) * inverseFilterScale);
                raw[k] = w;
                total += w;
            }
            for (int k = 0; k < xmax; k++)
            {
                double w = total != 0.0 ? raw[k] / total : raw[k];
                weights[i * taps + k] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
            }
            first[i] = xmin;
            count[i] = xmax;
        }
        return new Coefficients(first, count, weights, taps);
    }

    static double Kernel(ResampleFilter filter, double x)
    {
        x = Math.Abs(x);
        if (filter == ResampleFilter.Bilinear) return x < 1.0 ? 1.0 - x : 0.0;
        const double a = -0.5;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    static byte Clip8(int value)
    {
        if (value >= 1 << PrecisionBits << 8) return 255;
        if (value <= 0) return 0;
        return (byte)(value >> PrecisionBits);
    }

    // Integer sums make the summation order irrelevant, so both passes use 8-lane vectors and stay bit-exact.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static GrayImage ResampleHorizontal(GrayImage image, int width, ResampleFilter filter)
    {
        var c = Precompute(image.Width, width, filter);
        var output = new GrayImage(width, image.Height);
        int inWidth = image.Width, taps = c.TapsPerOutput;
        // The widened row is padded so that a tap vector starting at the last taps never reads past it (its extra weights are 0).
        var widened = new int[inWidth + taps];
        ref int rowRef = ref widened[0];
        ref int weightRef = ref c.Weights[0];
        for (int y = 0; y < image.Height; y++)
        {
            Widen(image.Row(y), widened);
            var outRow = output.Row(y);
            for (int x = 0; x < width; x++)
            {
                int firstTap = c.First[x], weightOffset = x * taps;
                var sum = Vector256<int>.Zero;
                for (int k = 0; k < c.Count[x]; k += Vector256<int>.Count)
                {
                    var pixels = Vector256.LoadUnsafe(ref rowRef, (nuint)(firstTap + k));
                    var weights = Vector256.LoadUnsafe(ref weightRef, (nuint)(weightOffset + k));
                    sum += pixels * weights;
                }
                outRow[x] = Clip8((1 << (PrecisionBits - 1)) + Vector256.Sum(sum));
            }
        }
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static GrayImage ResampleVertical(GrayImage image, int height, ResampleFilter filter)
    {
        var c = Precompute(image.Height, height, filter);
        int width = image.Width;
        var output = new GrayImage(width, height);
        var source = image.Pixels;
        var accumulator = new int[width];
        ref int accumulatorRef = ref accumulator[0];
        int vectorWidth = width - width % Vector256<byte>.Count;
        for (int y = 0; y < height; y++)
        {
            // Row-wise accumulation keeps memory access sequential.
            Array.Fill(accumulator, 1 << (PrecisionBits - 1));
            int firstRow = c.First[y];
            for (int k = 0; k < c.Count[y]; k++)
            {
                int w = c.Weights[y * c.TapsPerOutput + k];
                var weight = Vector256.Create(w);
                ref byte rowRef = ref source[(firstRow + k) * width];
                int x = 0;
                for (; x < vectorWidth; x += Vector256<byte>.Count)
                {
                    var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref rowRef, (nuint)x));
                    var (p0, p1) = Vector256.Widen(low);
                    var (p2, p3) = Vector256.Widen(high);
                    Add(ref accumulatorRef, x, p0.AsInt32() * weight);
                    Add(ref accumulatorRef, x + 8, p1.AsInt32() * weight);
                    Add(ref accumulatorRef, x + 16, p2.AsInt32() * weight);
                    Add(ref accumulatorRef, x + 24, p3.AsInt32() * weight);
                }
                for (; x < width; x++) accumulator[x] += Unsafe.Add(ref rowRef, x) * w;
            }
            var outRow = output.Row(y);
            for (int x = 0; x < width; x++) outRow[x] = Clip8(accumulator[x]);
        }
        return output;
    }

    /// <summary>Copies bytes into the start of an int buffer, 32 at a time.</summary>
    static void Widen(ReadOnlySpan<byte> source, int[] destination)
    {
        ref byte sourceRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source);
        ref int destinationRef = ref destination[0];
        int x = 0;
        for (; x + Vector256<byte>.Count <= source.Length; x += Vector256<byte>.Count)
        {
            var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref sourceRef, (nuint)x));
            var (p0, p1) = Vector256.Widen(low);
            var (p2, p3) = Vector256.Widen(high);
            p0.AsInt32().StoreUnsafe(ref destinationRef, (nuint)x);
            p1.AsInt32().StoreUnsafe(ref destinationRef, (nuint)(x + 8));
            p2.AsInt32().StoreUnsafe(ref destinationRef, (nuint)(x + 16));
            p3.AsInt32().StoreUnsafe(ref destinationRef, (nuint)(x + 24));
        }
        for (; x < source.Length; x++) destination[x] = source[x];
    }

    static void Add(ref int accumulator, int offset, Vector256<int> value)
    {
        ref int at = ref Unsafe.Add(ref accumulator, offset);
        (Vector256.LoadUnsafe(ref at) + value).StoreUnsafe(ref at);
    }
}
