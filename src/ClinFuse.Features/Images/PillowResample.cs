using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    public static GrayImage Resize(GrayImage image, int width, int height, ResampleFilter filter) =>
        Resize(image.Pixels, image.Width, image.Height, width, height, filter);

    /// <summary>
    /// Resizes the <paramref name="inWidth"/>×<paramref name="inHeight"/> image held in the first bytes of
    /// <paramref name="source"/> (row-major, no padding; the array may be longer, e.g. pooled). <paramref name="portable"/>
    /// takes the portable vector code even where the AVX2 kernel applies (same pixels; tests compare the two).
    /// </summary>
    internal static GrayImage Resize(byte[] source, int inWidth, int inHeight, int width, int height, ResampleFilter filter, bool portable = false)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Target size must be positive, got {width}x{height}.");
        var output = new GrayImage(width, height);
        if (width == inWidth && height == inHeight) source.AsSpan(0, width * height).CopyTo(output.Pixels);
        else if (height == inHeight) ResampleHorizontal(source, inWidth, inHeight, output.Pixels, width, filter, portable);
        else if (width == inWidth) ResampleVertical(source, width, inHeight, output.Pixels, height, filter);
        else
        {
            // The intermediate (output width × input height) is the largest buffer after the decoded image: pooled, so
            // that a stream of images reuses committed memory instead of faulting in fresh pages each time.
            var intermediate = ArrayPool<byte>.Shared.Rent(width * inHeight);
            try
            {
                ResampleHorizontal(source, inWidth, inHeight, intermediate, width, filter, portable);
                ResampleVertical(intermediate, width, inHeight, output.Pixels, height, filter);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(intermediate);
            }
        }
        return output;
    }

    /// <summary><c>resize.py</c>: width <paramref name="width"/>, height truncated to keep the aspect ratio, BICUBIC.</summary>
    public static GrayImage ResizeToWidth(GrayImage image, int width) => ResizeToWidth(image.Pixels, image.Width, image.Height, width);

    /// <summary><c>resize.py</c> on the <paramref name="inWidth"/>×<paramref name="inHeight"/> image at the start of <paramref name="source"/>.</summary>
    internal static GrayImage ResizeToWidth(byte[] source, int inWidth, int inHeight, int width)
    {
        int height = Math.Max(1, (int)(inHeight * ((double)width / inWidth)));
        return Resize(source, inWidth, inHeight, width, height, ResampleFilter.Bicubic);
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

    /// <summary>Rounding term added to every sum before the fixed-point shift.</summary>
    const int Half = 1 << (PrecisionBits - 1);

    // Integer sums make the summation order irrelevant, so every kernel below vectorises freely and stays bit-exact.
    static void ResampleHorizontal(byte[] source, int inWidth, int rows, byte[] destination, int width, ResampleFilter filter, bool portable)
    {
        var c = Precompute(inWidth, width, filter);
        if (Avx2.IsSupported && !portable && inWidth >= c.TapsPerOutput) HorizontalAvx2(source, inWidth, rows, destination, width, InBounds(c, inWidth));
        else HorizontalPortable(source, inWidth, rows, destination, width, c);
    }

    /// <summary>
    /// The same coefficients with every tap window moved left where needed so that it ends inside the row
    /// (first + taps ≤ input size; the weights move with it, zeros in front): whole-vector loads then never
    /// read past the row. Needs an input at least one window wide.
    /// </summary>
    static Coefficients InBounds(Coefficients c, int inputSize)
    {
        int taps = c.TapsPerOutput;
        var first = (int[])c.First.Clone();
        var weights = (int[])c.Weights.Clone();
        for (int i = 0; i < first.Length; i++)
        {
            int shift = first[i] - Math.Min(first[i], inputSize - taps);
            if (shift == 0) continue;
            first[i] -= shift;
            var row = weights.AsSpan(i * taps, taps);
            c.Weights.AsSpan(i * taps, taps - shift).CopyTo(row[shift..]);
            row[..shift].Clear();
        }
        return c with { First = first, Weights = weights };
    }

    /// <summary>
    /// AVX2: eight output pixels at a time; each is a dot product of 8-lane vectors (bytes zero-extended
    /// straight from the row), and the eight partial-sum vectors are reduced together by a horizontal-add tree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void HorizontalAvx2(byte[] source, int inWidth, int rows, byte[] destination, int width, Coefficients c)
    {
        int taps = c.TapsPerOutput;
        fixed (byte* sourceStart = source, destinationStart = destination)
        fixed (int* first = c.First, weights = c.Weights)
        {
            for (int y = 0; y < rows; y++)
            {
                byte* row = sourceStart + (long)y * inWidth, outRow = destinationStart + (long)y * width;
                int x = 0;
                for (; x + 8 <= width; x += 8)
                {
                    int* w = weights + x * taps;
                    int* f = first + x;
                    var h01 = Avx2.HorizontalAdd(Dot(row + f[0], w, taps), Dot(row + f[1], w + taps, taps));
                    var h23 = Avx2.HorizontalAdd(Dot(row + f[2], w + 2 * taps, taps), Dot(row + f[3], w + 3 * taps, taps));
                    var h45 = Avx2.HorizontalAdd(Dot(row + f[4], w + 4 * taps, taps), Dot(row + f[5], w + 5 * taps, taps));
                    var h67 = Avx2.HorizontalAdd(Dot(row + f[6], w + 6 * taps, taps), Dot(row + f[7], w + 7 * taps, taps));
                    // Per 128-bit lane: sums of elements 0–3 (low lane) and 4–7 (high lane) of outputs 0–3 and 4–7.
                    var q0 = Avx2.HorizontalAdd(h01, h23);
                    var q1 = Avx2.HorizontalAdd(h45, h67);
                    var sums = Avx2.Add(Avx2.Permute2x128(q0, q1, 0x20), Avx2.Permute2x128(q0, q1, 0x31));
                    var shifted = Avx2.ShiftRightArithmetic(Avx2.Add(sums, Vector256.Create(Half)), PrecisionBits);
                    // Saturating packs clamp to 0..255 exactly as Clip8 does.
                    var words = Sse2.PackSignedSaturate(shifted.GetLower(), shifted.GetUpper());
                    *(ulong*)(outRow + x) = Sse2.PackUnsignedSaturate(words, words).AsUInt64().ToScalar();
                }
                for (; x < width; x++) outRow[x] = Clip8(Half + Vector256.Sum(Dot(row + first[x], weights + x * taps, taps)));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<int> Dot(byte* pixels, int* weights, int taps)
    {
        // Up to 24 taps (a bicubic downscale by up to 5, as resize.py's of a full-size X-ray) unrolled, then a loop.
        var sum = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(pixels), Avx.LoadVector256(weights));
        if (taps <= 8) return sum;
        sum = Avx2.Add(sum, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(pixels + 8), Avx.LoadVector256(weights + 8)));
        if (taps <= 16) return sum;
        sum = Avx2.Add(sum, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(pixels + 16), Avx.LoadVector256(weights + 16)));
        for (int k = 24; k < taps; k += 8)
            sum = Avx2.Add(sum, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(pixels + k), Avx.LoadVector256(weights + k)));
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void HorizontalPortable(byte[] source, int inWidth, int rows, byte[] destination, int width, Coefficients c)
    {
        int taps = c.TapsPerOutput;
        // The widened row is padded so that a tap vector starting at the last taps never reads past it (its extra weights are 0).
        var widened = new int[inWidth + taps];
        ref int rowRef = ref widened[0];
        ref int weightRef = ref c.Weights[0];
        for (int y = 0; y < rows; y++)
        {
            Widen(source.AsSpan(y * inWidth, inWidth), widened);
            var outRow = destination.AsSpan(y * width, width);
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
                outRow[x] = Clip8(Half + Vector256.Sum(sum));
            }
        }
    }

    /// <summary>
    /// 32 output pixels of a row at a time: their sums stay in four vector registers over all taps, then are
    /// shifted, clamped and narrowed to bytes in one go.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ResampleVertical(byte[] source, int width, int inHeight, byte[] destination, int height, ResampleFilter filter)
    {
        var c = Precompute(inHeight, height, filter);
        int vectorWidth = width - width % Vector256<byte>.Count;
        ref byte sourceRef = ref source[0];
        ref byte destinationRef = ref destination[0];
        var zero = Vector256<int>.Zero;
        var max = Vector256.Create(255);
        for (int y = 0; y < height; y++)
        {
            int firstRow = c.First[y], count = c.Count[y];
            var weights = c.Weights.AsSpan(y * c.TapsPerOutput, count);
            ref byte outRow = ref Unsafe.Add(ref destinationRef, y * width);
            int x = 0;
            for (; x < vectorWidth; x += Vector256<byte>.Count)
            {
                Vector256<int> a0 = Vector256.Create(Half), a1 = a0, a2 = a0, a3 = a0;
                ref byte column = ref Unsafe.Add(ref sourceRef, firstRow * width + x);
                for (int k = 0; k < weights.Length; k++)
                {
                    var weight = Vector256.Create(weights[k]);
                    var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref column, (nuint)(k * width)));
                    var (p0, p1) = Vector256.Widen(low);
                    var (p2, p3) = Vector256.Widen(high);
                    a0 += p0.AsInt32() * weight;
                    a1 += p1.AsInt32() * weight;
                    a2 += p2.AsInt32() * weight;
                    a3 += p3.AsInt32() * weight;
                }
                // Clip8 as clamp(sum >> 22, 0, 255), then truncating narrows of values already in range.
                a0 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a0, PrecisionBits), zero), max);
                a1 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a1, PrecisionBits), zero), max);
                a2 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a2, PrecisionBits), zero), max);
                a3 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a3, PrecisionBits), zero), max);
                var bytes = Vector256.Narrow(Vector256.Narrow(a0.AsUInt32(), a1.AsUInt32()), Vector256.Narrow(a2.AsUInt32(), a3.AsUInt32()));
                bytes.StoreUnsafe(ref outRow, (nuint)x);
            }
            for (; x < width; x++)
            {
                int sum = Half;
                for (int k = 0; k < weights.Length; k++) sum += source[(firstRow + k) * width + x] * weights[k];
                Unsafe.Add(ref outRow, x) = Clip8(sum);
            }
        }
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

}
