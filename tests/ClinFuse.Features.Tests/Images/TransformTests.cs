using System.Text.Json;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

public sealed class TransformTests
{
    static GrayImage Intermediate(string name) => GoldenFiles.Png("transforms", "intermediate", name);

    /// <summary>Each case's loader input (the resize.py output or the original), as the golden set stores it.</summary>
    public static TheoryData<string, string, string, int, int> EvalCases() => new()
    {
        { "A_original1024", "sources/00009779_000.png", "A_original1024_resize256_256x256.png", 16, 16 },
        { "B_resizepy512", "intermediate/B_resizepy512_resizepy_512x512.png", "B_resizepy512_resize256_256x256.png", 16, 16 },
        { "C_portrait837x1024_resizepy", "intermediate/C_portrait837x1024_resizepy_resizepy_512x626.png", "C_portrait837x1024_resizepy_resize256_256x313.png", 44, 16 },
        { "D_landscape1024x702_resizepy", "intermediate/D_landscape1024x702_resizepy_resizepy_512x351.png", "D_landscape1024x702_resizepy_resize256_373x256.png", 16, 74 },
        { "E_upscale200x230", "inputs/E_upscale200x230_200x230.png", "E_upscale200x230_resize256_256x294.png", 35, 16 },
    };

    [Theory]
    [MemberData(nameof(EvalCases))]
    public void Resize256_and_centre_crop_match_Pillow_and_torchvision_exactly(string caseId, string loaderInput, string resized, int top, int left)
    {
        var input = GoldenFiles.Png(["transforms", .. loaderInput.Split('/')]);
        var actualResized = PillowResample.ResizeShorterSide(input, 256);
        GoldenFiles.AssertIdentical(Intermediate(resized), actualResized, caseId + " Resize(256)");

        Assert.Equal((top, left), CxrTransforms.CentreCropOffsets(actualResized.Width, actualResized.Height, 224));
        var crop = CxrTransforms.EvalCrop(input);
        GoldenFiles.AssertIdentical(Intermediate(caseId + "_centercrop224.png"), crop, caseId + " CenterCrop(224)");
    }

    [Theory]
    [InlineData("B_resizepy512", "00012572_000.png", 0, 0, 1024, 1024, "B_resizepy512_resizepy_512x512.png")]
    [InlineData("D_landscape1024x702_resizepy", "00023104_000.png", 0, 150, 1024, 852, "D_landscape1024x702_resizepy_resizepy_512x351.png")]
    public void Resize_py_bicubic_to_width_512_matches_Pillow_exactly(string caseId, string source, int x0, int y0, int x1, int y1, string expected)
    {
        var original = GoldenFiles.Png("transforms", "sources", source);
        var cropped = new GrayImage(x1 - x0, y1 - y0);
        for (int y = y0; y < y1; y++) original.Pixels.AsSpan(y * original.Width + x0, x1 - x0).CopyTo(cropped.Row(y - y0));
        GoldenFiles.AssertIdentical(Intermediate(expected), PillowResample.ResizeToWidth(cropped, 512), caseId + " resize.py");
    }

    [Theory]
    [InlineData("A_original1024", "sources/00009779_000.png")]
    [InlineData("E_upscale200x230", "inputs/E_upscale200x230_200x230.png")]
    public void Eval_tensor_matches_torchvision_bit_for_bit(string caseId, string loaderInput)
    {
        var (shape, expected) = GoldenFiles.NpyFloat32("transforms", "expected", caseId + "_eval_3x224x224_float32.npy");
        Assert.Equal([3, 224, 224], shape);
        var actual = CxrTransforms.ToNormalizedTensor(CxrTransforms.EvalCrop(GoldenFiles.Png(["transforms", .. loaderInput.Split('/')])));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{caseId}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void Normalize_matches_the_torchvision_table_for_every_value()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("transforms", "normalize_lut.json")));
        var table = json.RootElement.GetProperty("value");
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++)
                Assert.Equal(table[c][v].GetSingle(), CxrTransforms.Normalize(c, (byte)v));
    }

    [Fact]
    public void Horizontal_flip_matches_exactly_and_is_an_involution()
    {
        var resized = Intermediate("A_original1024_resize256_256x256.png");
        var flipped = CxrTransforms.FlipHorizontal(resized);
        GoldenFiles.AssertIdentical(Intermediate("A_original1024_train_hflip_256x256.png"), flipped, "hflip");
        GoldenFiles.AssertIdentical(GoldenFiles.Png("transforms", "expected", "A_original1024_train_hflip_centercrop224.png"), CxrTransforms.CentreCrop(flipped, 224), "hflip crop");
        Assert.Equal(resized.Pixels, CxrTransforms.FlipHorizontal(flipped).Pixels);
    }

    static readonly AffineParameters GoldenAffine = new(17.5, 12, -9, 1.1);

    [Theory]
    [InlineData("train_affine_tv014", AffineCentre.HalfSize, false)]
    [InlineData("train_affine_tv02x_center", AffineCentre.HalfSizePlusHalfPixel, false)]
    [InlineData("train_hflip_then_affine_tv014", AffineCentre.HalfSize, true)]
    public void Affine_matches_Pillow_nearest_exactly(string variant, AffineCentre centre, bool flipFirst)
    {
        using var meta = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("transforms", "meta.json")));
        var expectedMatrix = meta.RootElement.GetProperty("train_deterministic").GetProperty("variants").GetProperty(variant)
            .GetProperty("inverse_matrix_abcdef").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var matrix = CxrTransforms.InverseAffineMatrix(256, 256, GoldenAffine, centre);
        for (int i = 0; i < 6; i++) Assert.Equal(expectedMatrix[i], matrix[i], 1e-12);

        var input = Intermediate("A_original1024_resize256_256x256.png");
        if (flipFirst) input = CxrTransforms.FlipHorizontal(input);
        var output = CxrTransforms.Affine(input, GoldenAffine, centre);
        GoldenFiles.AssertIdentical(Intermediate($"A_original1024_{variant}_256x256.png"), output, variant);
        GoldenFiles.AssertIdentical(GoldenFiles.Png("transforms", "expected", $"A_original1024_{variant}_centercrop224.png"), CxrTransforms.CentreCrop(output, 224), variant + " crop");
    }

    [Fact]
    public void Identity_affine_and_pure_translation_move_pixels_as_expected()
    {
        var random = new Random(3);
        var pixels = new byte[31 * 17];
        random.NextBytes(pixels);
        var image = new GrayImage(31, 17, pixels);
        Assert.Equal(image.Pixels, CxrTransforms.Affine(image, new AffineParameters(0, 0, 0, 1), AffineCentre.HalfSize).Pixels);

        var shifted = CxrTransforms.Affine(image, new AffineParameters(0, 3, -2, 1), AffineCentre.HalfSize);
        for (int y = 0; y < 17; y++)
            for (int x = 0; x < 31; x++)
            {
                int sx = x - 3, sy = y + 2;
                byte expected = sx >= 0 && sx < 31 && sy >= 0 && sy < 17 ? image[sx, sy] : (byte)0;
                Assert.Equal(expected, shifted[x, y]);
            }
    }

    [Fact]
    public void Random_affine_draws_stay_in_the_configured_ranges_and_repeat_with_the_seed()
    {
        var a = new Random(11);
        var b = new Random(11);
        for (int i = 0; i < 1000; i++)
        {
            var p = CxrTransforms.DrawAffine(a, 256, 294);
            Assert.Equal(p, CxrTransforms.DrawAffine(b, 256, 294));
            Assert.InRange(p.AngleDegrees, -45, 45);
            Assert.InRange(p.TranslateX, -38, 38);
            Assert.InRange(p.TranslateY, -44, 44);
            Assert.InRange(p.Scale, 0.85, 1.15);
        }
    }

    [Fact]
    public void Train_crop_is_deterministic_for_a_seed_and_varies_across_seeds()
    {
        var input = Intermediate("B_resizepy512_resizepy_512x512.png");
        var first = CxrTransforms.TrainCrop(input, new Random(5));
        Assert.Equal((224, 224), (first.Width, first.Height));
        Assert.Equal(first.Pixels, CxrTransforms.TrainCrop(input, new Random(5)).Pixels);
        Assert.NotEqual(first.Pixels, CxrTransforms.TrainCrop(input, new Random(6)).Pixels);
    }

    [Fact]
    public void Train_crop_of_a_square_input_equals_augmenting_its_resized_slot()
    {
        var input = Intermediate("B_resizepy512_resizepy_512x512.png");
        var slot = PillowResample.ResizeShorterSide(input, 256);
        Assert.Equal(CxrTransforms.TrainCrop(input, new Random(8)).Pixels, CxrTransforms.AugmentAndCrop(slot, new Random(8)).Pixels);
    }

    [Fact]
    public void Centre_crop_larger_than_the_image_is_refused()
    {
        Assert.Throws<ArgumentException>(() => CxrTransforms.CentreCrop(new GrayImage(200, 300), 224));
    }
}
