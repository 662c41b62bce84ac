using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClinFuse.Features.Images;

/// <summary>
/// Contrast-limited adaptive histogram equalisation, bit-exact with OpenCV 4.x
/// <c>createCLAHE(clipLimit, (tiles, tiles)).apply</c> on 8-bit single-channel images (the paper's
/// preprocessing uses clip 2.0 and an 8×8 grid). The arithmetic deliberately mirrors OpenCV's:
/// integer histograms and clipping, float32 LUT scale, float32 bilinear blend by reciprocal tile
/// sizes, round-half-to-even; computing in double instead moves about 0.03 % of pixels by one level.
/// </summary>
public sealed class Clahe
{
    const int HistSize = 256;

    /// <summary>The paper's setting: clip limit 2.0, 8×8 tiles.</summary>
    public static Clahe Paper { get; } = new(2.0, 8, 8);

    public Clahe(double clipLimit, int tilesX, int tilesY)
    {
        if (clipLimit < 0 || double.IsNaN(clipLimit)) throw new ArgumentOutOfRangeException(nameof(clipLimit), "The clip limit must be zero or positive.");
        if (tilesX <= 0 || tilesY <= 0) throw new ArgumentOutOfRangeException(nameof(tilesX), "The tile grid must be at least 1×1.");
        ClipLimit = clipLimit;
        TilesX = tilesX;
        TilesY = tilesY;
    }

    public double ClipLimit { get; }
    public int TilesX { get; }
    public int TilesY { get; }

    /// <summary>Returns the equalised image; the input is not modified.</summary>
    public GrayImage Apply(GrayImage image)
    {
        var output = new GrayImage(image.Width, image.Height);
        Apply(image, output.Pixels);
        return output;
    }

    /// <summary>Equalises <paramref name="image"/> into <paramref name="destination"/> (same size, may not alias the input).</summary>
    public void Apply(GrayImage image, Span<byte> destination) => Apply(image, destination, portable: false);

    /// <summary><paramref name="portable"/> takes the scalar blend even where the AVX2 one applies (same pixels; tests compare the two).</summary>
    internal void Apply(GrayImage image, Span<byte> destination, bool portable)
    {
        int width = image.Width, height = image.Height;
        if (destination.Length != image.Pixels.Length) throw new ArgumentException("Destination size differs from the image size.", nameof(destination));

        // OpenCV pads bottom/right with reflect-101 whenever either dimension is not a multiple of the
        // grid, and then pads BOTH by (tiles - size % tiles), i.e. a full extra tile row for a dimension
        // that was already divisible. The padded pixels only feed the histograms.
        bool divisible = width % TilesX == 0 && height % TilesY == 0;
        int extWidth = divisible ? width : width + TilesX - width % TilesX;
        int extHeight = divisible ? height : height + TilesY - height % TilesY;
        // The padded copy is pooled: the pipeline pads every resize.py output (614 rows is not a multiple of 8).
        var padded = divisible ? null : ArrayPool<byte>.Shared.Rent(extWidth * extHeight);
        try
        {
            if (padded is not null) PadReflect101(image, padded, extWidth, extHeight);
            int tileWidth = extWidth / TilesX, tileHeight = extHeight / TilesY;
            var luts = BuildLuts(padded ?? image.Pixels, extWidth, tileWidth, tileHeight);
            Interpolate(image, destination, luts, tileWidth, tileHeight, portable);
        }
        finally
        {
            if (padded is not null) ArrayPool<byte>.Shared.Return(padded);
        }
    }

    static void PadReflect101(GrayImage image, byte[] padded, int extWidth, int extHeight)
    {
        int width = image.Width, height = image.Height;
        var columnSource = new int[extWidth];
        for (int x = 0; x < extWidth; x++) columnSource[x] = Reflect101(x, width);
        var source = image.Pixels;
        for (int y = 0; y < extHeight; y++)
        {
            int sourceRow = Reflect101(y, height) * width;
            int row = y * extWidth;
            source.AsSpan(sourceRow, width).CopyTo(padded.AsSpan(row, width));
            for (int x = width; x < extWidth; x++) padded[row + x] = source[sourceRow + columnSource[x]];
        }
    }

    /// <summary>OpenCV's <c>borderInterpolate(p, len, BORDER_REFLECT_101)</c>, repeated reflection included.</summary>
    internal static int Reflect101(int p, int length)
    {
        if (length == 1) return 0;
        while ((uint)p >= (uint)length)
            p = p < 0 ? -p : 2 * length - 2 - p;
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    float[] BuildLuts(byte[] source, int stride, int tileWidth, int tileHeight)
    {
        int tileArea = tileWidth * tileHeight;
        int clipLimit = ClipLimit > 0 ? Math.Max((int)(ClipLimit * tileArea / HistSize), 1) : 0;
        float lutScale = (float)(HistSize - 1) / tileArea;
        // Stored as float: the 8-bit values are exact in float32 and the blend needs them as float anyway.
        var luts = new float[TilesX * TilesY * HistSize];
        Span<int> histogram = stackalloc int[HistSize];
        // Four interleaved partial histograms: neighbouring X-ray pixels often share a level, and one
        // histogram would make every such increment wait for the previous store to the same bin.
        Span<int> partial = stackalloc int[4 * HistSize];
        for (int ty = 0; ty < TilesY; ty++)
        {
            for (int tx = 0; tx < TilesX; tx++)
            {
                partial.Clear();
                ref int partialRef = ref partial[0];
                for (int y = 0; y < tileHeight; y++)
                {
                    var row = source.AsSpan((ty * tileHeight + y) * stride + tx * tileWidth, tileWidth);
                    ref byte pixel = ref row[0];
                    int x = 0;
                    for (; x + 4 <= row.Length; x += 4)
                    {
                        Unsafe.Add(ref partialRef, Unsafe.Add(ref pixel, x))++;
                        Unsafe.Add(ref partialRef, HistSize + Unsafe.Add(ref pixel, x + 1))++;
                        Unsafe.Add(ref partialRef, 2 * HistSize + Unsafe.Add(ref pixel, x + 2))++;
                        Unsafe.Add(ref partialRef, 3 * HistSize + Unsafe.Add(ref pixel, x + 3))++;
                    }
                    for (; x < row.Length; x++) Unsafe.Add(ref partialRef, Unsafe.Add(ref pixel, x))++;
                }
                for (int i = 0; i < HistSize; i++)
                    histogram[i] = partial[i] + partial[HistSize + i] + partial[2 * HistSize + i] + partial[3 * HistSize + i];
                if (clipLimit > 0) ClipAndRedistribute(histogram, clipLimit);

                var lut = luts.AsSpan((ty * TilesX + tx) * HistSize, HistSize);
                int sum = 0;
                for (int i = 0; i < HistSize; i++)
                {
                    sum += histogram[i];
                    lut[i] = SaturateRound(sum * lutScale);
                }
            }
        }
        return luts;
    }

    static void ClipAndRedistribute(Span<int> histogram, int clipLimit)
    {
        int clipped = 0;
        for (int i = 0; i < HistSize; i++)
        {
            if (histogram[i] > clipLimit)
            {
                clipped += histogram[i] - clipLimit;
                histogram[i] = clipLimit;
            }
        }
        int batch = clipped / HistSize;
        int residual = clipped - batch * HistSize;
        for (int i = 0; i < HistSize; i++) histogram[i] += batch;
        if (residual != 0)
        {
            int step = Math.Max(HistSize / residual, 1);
            for (int i = 0; i < HistSize && residual > 0; i += step, residual--) histogram[i]++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Interpolate(GrayImage image, Span<byte> destination, float[] luts, int tileWidth, int tileHeight, bool portable)
    {
        int width = image.Width, height = image.Height;
        float inverseTileWidth = 1.0f / tileWidth, inverseTileHeight = 1.0f / tileHeight;

        // Per-column LUT offsets and weights, shared by every row.
        var left = new int[width];
        var right = new int[width];
        var weightRight = new float[width];
        var weightLeft = new float[width];
        for (int x = 0; x < width; x++)
        {
            float txf = x * inverseTileWidth - 0.5f;
            int tx1 = (int)MathF.Floor(txf);
            float xa = txf - tx1;
            weightRight[x] = xa;
            weightLeft[x] = 1.0f - xa;
            left[x] = Math.Max(tx1, 0) * HistSize;
            right[x] = Math.Min(tx1 + 1, TilesX - 1) * HistSize;
        }

        var pixels = image.Pixels;
        // The indices below are in range by construction (LUT offsets + a byte value), so the inner
        // loop reads through refs without bounds checks; it is the hot loop of the whole pipeline.
        ref int leftRef = ref left[0];
        ref int rightRef = ref right[0];
        ref float weightLeftRef = ref weightLeft[0];
        ref float weightRightRef = ref weightRight[0];
        for (int y = 0; y < height; y++)
        {
            float tyf = y * inverseTileHeight - 0.5f;
            int ty1 = (int)MathF.Floor(tyf);
            float ya = tyf - ty1, ya1 = 1.0f - ya;
            ref float top = ref luts[Math.Max(ty1, 0) * TilesX * HistSize];
            ref float bottom = ref luts[Math.Min(ty1 + 1, TilesY - 1) * TilesX * HistSize];
            ref byte sourceRow = ref pixels[y * width];
            var destinationRow = destination.Slice(y * width, width);
            int x = Avx2.IsSupported && !portable
                ? InterpolateAvx2(ref sourceRow, destinationRow, ref top, ref bottom, left, right, weightLeft, weightRight, ya, ya1)
                : 0;
            for (; x < destinationRow.Length; x++)
            {
                int v = Unsafe.Add(ref sourceRow, x);
                int i1 = Unsafe.Add(ref leftRef, x) + v, i2 = Unsafe.Add(ref rightRef, x) + v;
                float xa1 = Unsafe.Add(ref weightLeftRef, x), xa = Unsafe.Add(ref weightRightRef, x);
                float result = (Unsafe.Add(ref top, i1) * xa1 + Unsafe.Add(ref top, i2) * xa) * ya1
                    + (Unsafe.Add(ref bottom, i1) * xa1 + Unsafe.Add(ref bottom, i2) * xa) * ya;
                destinationRow[x] = SaturateRound(result);
            }
        }
    }

    /// <summary>
    /// The blend of one row, eight pixels at a time (LUT values by AVX2 gathers), in the scalar loop's order of
    /// float operations, so every lane rounds as it does; returns how many pixels it did (the rest go to the scalar loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe int InterpolateAvx2(ref byte sourceRow, Span<byte> destinationRow, ref float top, ref float bottom,
        int[] left, int[] right, float[] weightLeft, float[] weightRight, float ya, float ya1)
    {
        int width = destinationRow.Length, x = 0;
        var yWeight = Vector256.Create(ya);
        var yWeight1 = Vector256.Create(ya1);
        fixed (byte* source = &sourceRow, destination = destinationRow)
        fixed (float* topLut = &top, bottomLut = &bottom, xWeight1 = weightLeft, xWeight = weightRight)
        fixed (int* leftOffset = left, rightOffset = right)
        {
            for (; x + 8 <= width; x += 8)
            {
                var v = Avx2.ConvertToVector256Int32(source + x);
                var i1 = Avx2.Add(Avx.LoadVector256(leftOffset + x), v);
                var i2 = Avx2.Add(Avx.LoadVector256(rightOffset + x), v);
                var xa1 = Avx.LoadVector256(xWeight1 + x);
                var xa = Avx.LoadVector256(xWeight + x);
                var upper = Avx.Add(Avx.Multiply(Avx2.GatherVector256(topLut, i1, 4), xa1), Avx.Multiply(Avx2.GatherVector256(topLut, i2, 4), xa));
                var lower = Avx.Add(Avx.Multiply(Avx2.GatherVector256(bottomLut, i1, 4), xa1), Avx.Multiply(Avx2.GatherVector256(bottomLut, i2, 4), xa));
                // Round half to even (the default rounding mode), then saturating packs to bytes, as SaturateRound.
                var rounded = Avx.ConvertToVector256Int32(Avx.Add(Avx.Multiply(upper, yWeight1), Avx.Multiply(lower, yWeight)));
                var words = Sse2.PackSignedSaturate(rounded.GetLower(), rounded.GetUpper());
                *(ulong*)(destination + x) = Sse2.PackUnsignedSaturate(words, words).AsUInt64().ToScalar();
            }
        }
        return x;
    }

    /// <summary>OpenCV's <c>saturate_cast&lt;uchar&gt;(float)</c>: round half to even (MathF.Round's default), clamp to 0..255.</summary>
    static byte SaturateRound(float value) => (byte)Math.Clamp((int)MathF.Round(value), 0, 255);
}
