using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

public sealed class ClaheTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var row in GoldenFiles.Csv("clahe", "manifest.csv")) data.Add(row["case_id"]);
        return data;
    }

    static Dictionary<string, string> Row(string caseId) =>
        GoldenFiles.Csv("clahe", "manifest.csv").Single(r => r["case_id"] == caseId);

    /// <summary>The CLAHE input: the stored gray decode where the golden set has one, else the lossless input.</summary>
    static GrayImage Input(Dictionary<string, string> row)
    {
        if (row["loaded_gray_file"].Length > 0) return GoldenFiles.Png("clahe", row["loaded_gray_file"]);
        var input = row["input_file"];
        return input.StartsWith("../", StringComparison.Ordinal)
            ? GoldenFiles.Png("clahe", "inputs", Path.GetFileName(input))
            : GoldenFiles.Png("clahe", input);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_OpenCV_bit_for_bit(string caseId)
    {
        var row = Row(caseId);
        var input = Input(row);
        Assert.Equal((int.Parse(row["width"]), int.Parse(row["height"])), (input.Width, input.Height));
        var expected = GoldenFiles.Png("clahe", row["expected_file"]);
        GoldenFiles.AssertIdentical(expected, Clahe.Paper.Apply(input), caseId);
    }

    [Fact]
    public void Colour_png_decodes_to_the_gray_OpenCV_reads()
    {
        foreach (var caseId in new[] { "rgb3_equal_channels_00008569_000_256x256", "rgb3_coloured_00008569_000_256x256" })
        {
            var row = Row(caseId);
            var decoded = GoldenFiles.Png("clahe", row["input_file"]);
            GoldenFiles.AssertIdentical(GoldenFiles.Png("clahe", row["loaded_gray_file"]), decoded, caseId);
            GoldenFiles.AssertIdentical(GoldenFiles.Png("clahe", row["expected_file"]), Clahe.Paper.Apply(decoded), caseId + " after CLAHE");
        }
    }

    [Fact]
    public void Gray_jpeg_decodes_like_libjpeg_turbo_in_OpenCV()
    {
        var row = Row("jpeg_q95_00008569_000_256x256");
        var decoded = GoldenFiles.Png("clahe", row["input_file"]);
        GoldenFiles.AssertIdentical(GoldenFiles.Png("clahe", row["loaded_gray_file"]), decoded, "JPEG decode");
    }

    [Fact]
    public void Output_is_a_new_image_and_input_is_untouched()
    {
        var input = GoldenFiles.Png("clahe", "inputs", "syn_tiny_7x5.png");
        var copy = (byte[])input.Pixels.Clone();
        var output = Clahe.Paper.Apply(input);
        Assert.Equal(copy, input.Pixels);
        Assert.NotSame(input.Pixels, output.Pixels);
    }

    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(4, 5, 4)]
    [InlineData(5, 5, 3)]
    [InlineData(7, 5, 1)]
    [InlineData(-1, 5, 1)]
    [InlineData(3, 1, 0)]
    [InlineData(9, 2, 1)]
    public void Reflect101_mirrors_without_repeating_the_edge(int p, int length, int expected) =>
        Assert.Equal(expected, Clahe.Reflect101(p, length));

    [Fact]
    public void Random_sizes_keep_shape_and_are_deterministic()
    {
        var random = new Random(7);
        for (int n = 0; n < 40; n++)
        {
            int w = random.Next(1, 90), h = random.Next(1, 90);
            var pixels = new byte[w * h];
            random.NextBytes(pixels);
            var image = new GrayImage(w, h, pixels);
            var a = Clahe.Paper.Apply(image);
            var b = Clahe.Paper.Apply(image);
            Assert.Equal((w, h), (a.Width, a.Height));
            Assert.Equal(a.Pixels, b.Pixels);
        }
    }
}

/// <summary>The AVX2 blend of <see cref="Clahe"/> against the scalar one (itself checked against OpenCV by the golden tests).</summary>
public sealed class ClaheKernelTests
{
    [Theory]
    [InlineData(512, 614)]
    [InlineData(333, 256)]
    [InlineData(97, 131)]
    [InlineData(15, 9)]
    [InlineData(7, 5)]
    public void Avx2_blend_gives_the_scalar_blends_pixels(int width, int height)
    {
        foreach (int seed in (int[])[1, 2, 3])
        {
            var pixels = new byte[width * height];
            var random = new Random(seed * 104729 + width);
            // Smooth structure plus noise, so tiles differ and the clip limit bites in some of them.
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)Math.Clamp(i % width * 200 / width + random.Next(-20 * seed, 20 * seed + 1), 0, 255);
            var image = new GrayImage(width, height, pixels);
            foreach (var clahe in (Clahe[])[Clahe.Paper, new(40.0, 3, 5)])
            {
                var fast = new byte[pixels.Length];
                var scalar = new byte[pixels.Length];
                clahe.Apply(image, fast, portable: false);
                clahe.Apply(image, scalar, portable: true);
                Assert.Equal(scalar, fast);
            }
        }
    }
}
