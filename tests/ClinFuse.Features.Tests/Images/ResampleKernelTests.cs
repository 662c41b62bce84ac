using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

/// <summary>
/// The AVX2 resampling kernel against the portable one (itself checked against Pillow by the golden
/// tests): same pixels for downscales, upscales, odd sizes and images only a few taps wide, on noise
/// (every level, both clamps reached) and on flat images.
/// </summary>
public sealed class ResampleKernelTests
{
    [Theory]
    [InlineData(2544, 307, 512, 61, ResampleFilter.Bicubic)]
    [InlineData(1001, 97, 256, 23, ResampleFilter.Bicubic)]
    [InlineData(512, 614, 256, 307, ResampleFilter.Bilinear)]
    [InlineData(333, 41, 333, 17, ResampleFilter.Bilinear)]
    [InlineData(200, 23, 256, 29, ResampleFilter.Bicubic)]
    [InlineData(37, 13, 19, 7, ResampleFilter.Bicubic)]
    [InlineData(24, 9, 5, 9, ResampleFilter.Bicubic)]
    [InlineData(9, 5, 31, 3, ResampleFilter.Bilinear)]
    public void Avx2_kernel_gives_the_portable_kernels_pixels(int inWidth, int inHeight, int width, int height, ResampleFilter filter)
    {
        foreach (int seed in (int[])[1, 2, 3])
        {
            var pixels = new byte[inWidth * inHeight + 100];
            new Random(seed * 7919 + inWidth).NextBytes(pixels);
            if (seed == 3) pixels.AsSpan(0, inWidth * inHeight / 2).Fill(255);
            var fast = PillowResample.Resize(pixels, inWidth, inHeight, width, height, filter);
            var portable = PillowResample.Resize(pixels, inWidth, inHeight, width, height, filter, portable: true);
            Assert.Equal((width, height), (fast.Width, fast.Height));
            Assert.Equal(portable.Pixels, fast.Pixels);
        }
    }
}
