using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Baselines;

/// <summary>
/// Random views of chest X-rays for contrastive pre-training, as one affine warp per image: a random
/// resized crop (area fraction in [<paramref name="MinCropArea"/>, 1], aspect ratio 1), a rotation of up
/// to ±<paramref name="MaxRotationDegrees"/>, a random shift inside the image and a horizontal flip with
/// probability <paramref name="FlipProbability"/>. Works on normalised tensors (no colour jitter, which
/// the reference's routine applied to already-normalised tensors).
/// </summary>
/// <param name="MinCropArea">Smallest crop area as a fraction of the image.</param>
/// <param name="MaxRotationDegrees">Largest rotation in degrees.</param>
/// <param name="FlipProbability">Probability of a horizontal flip.</param>
public sealed record ImageAugmentation(double MinCropArea = 0.8, double MaxRotationDegrees = 10, double FlipProbability = 0.5)
{
    /// <summary>A random view of each image [N, 3, H, W]; randomness only from <paramref name="generator"/>.</summary>
    public Tensor Apply(Tensor images, Generator generator)
    {
        long n = images.shape[0];
        var u = rand(n, 4, generator: generator);
        var area = MinCropArea + (1 - MinCropArea) * u[.., 0];
        var scale = area.sqrt();
        var angle = (2 * u[.., 1] - 1) * (MaxRotationDegrees * Math.PI / 180);
        var flip = 1 - 2 * (u[.., 3] < FlipProbability).to(ScalarType.Float32);
        // The crop's centre may move as far as the crop still fits: |shift| ≤ 1 − scale in normalised coordinates.
        var shift = (2 * rand(n, 2, generator: generator) - 1) * (1 - scale).unsqueeze(1);
        var cos = angle.cos() * scale;
        var sin = angle.sin() * scale;
        var theta = stack([
            stack([cos * flip, -sin, shift[.., 0]], 1),
            stack([sin * flip, cos, shift[.., 1]], 1),
        ], 1).to(images.device);
        var grid = functional.affine_grid(theta, images.shape, align_corners: false);
        return functional.grid_sample(images, grid, mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Reflection, align_corners: false);
    }
}

/// <summary>
/// Random views of EHR series for contrastive pre-training: Gaussian jitter of standard deviation
/// <paramref name="JitterStd"/> (in normalised units) and, with probability <paramref name="TimeMaskProbability"/>
/// per hour, the whole hour set to zero (the normalised mean). Only steps within each sample's length
/// change; padding stays zero.
/// </summary>
/// <param name="JitterStd">Standard deviation of the additive noise.</param>
/// <param name="TimeMaskProbability">Probability that an hour is masked.</param>
public sealed record SeriesAugmentation(double JitterStd = 0.1, double TimeMaskProbability = 0.1)
{
    /// <summary>A random view of <paramref name="ehr"/> [B, T, F] with lengths [B]; randomness only from <paramref name="generator"/>.</summary>
    public Tensor Apply(Tensor ehr, Tensor lengths, Generator generator)
    {
        long b = ehr.shape[0], t = ehr.shape[1], f = ehr.shape[2];
        var valid = (arange(t, device: ehr.device).unsqueeze(0) < lengths.unsqueeze(1).to(ehr.device)).unsqueeze(2).to(ScalarType.Float32);
        var noise = randn(b, t, f, generator: generator).to(ehr.device) * JitterStd;
        var keep = (rand(b, t, 1, generator: generator).to(ehr.device) >= TimeMaskProbability).to(ScalarType.Float32);
        return (ehr + noise) * keep * valid;
    }
}
