using ClinFuse.Core;
using static TorchSharp.torch;

namespace ClinFuse.Models.Networks;

/// <summary>
/// One mini-batch as the networks consume it. Images are stored only for the samples that have one;
/// <see cref="HasImage"/> says which those are (in batch order).
/// </summary>
/// <param name="Ehr">EHR series [B, T, F] float32, zero-padded after each sample's length.</param>
/// <param name="Lengths">True lengths [B] int64 (any order, each in 1..T).</param>
/// <param name="Images">Images [N, 3, H, W] float32 for the N samples with an image, in batch order; null when N = 0.</param>
/// <param name="HasImage">[B] bool: which samples have an image.</param>
/// <param name="Labels">Targets [B, L] float32, or null at inference.</param>
public sealed record FusionBatch(Tensor Ehr, Tensor Lengths, Tensor? Images, Tensor HasImage, Tensor? Labels)
{
    /// <summary>Samples in the batch.</summary>
    public long Size => Ehr.shape[0];

    /// <summary>Samples that have an image.</summary>
    public long ImageCount => Images?.shape[0] ?? 0;

    /// <summary>Checks shapes and dtypes against each other; throws a <see cref="ClinFuseException"/> saying what is wrong.</summary>
    public void Validate(int ehrFeatures)
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new ClinFuseException($"Invalid model batch: {what}.", "The batch builder and the model configuration disagree; check the feature count and image tensors.");
        }
        Require(Ehr.dim() == 3 && Ehr.dtype == ScalarType.Float32, $"EHR must be float32 [B,T,F], got {Ehr.dtype} [{string.Join(",", Ehr.shape)}]");
        Require(Ehr.shape[2] == ehrFeatures, $"EHR has {Ehr.shape[2]} features per step, the model expects {ehrFeatures}");
        long b = Ehr.shape[0];
        Require(b >= 1, "the batch is empty");
        Require(Lengths.dim() == 1 && Lengths.shape[0] == b && Lengths.dtype == ScalarType.Int64, "lengths must be int64 [B]");
        Require(Lengths.min().item<long>() >= 1 && Lengths.max().item<long>() <= Ehr.shape[1], $"every length must lie in 1..{Ehr.shape[1]}");
        Require(HasImage.dim() == 1 && HasImage.shape[0] == b && HasImage.dtype == ScalarType.Bool, "has-image mask must be bool [B]");
        long present = HasImage.sum().item<long>();
        Require(present == ImageCount, $"the has-image mask marks {present} samples but {ImageCount} images were given");
        if (Images is not null)
            Require(Images.dim() == 4 && Images.shape[1] == 3 && Images.dtype == ScalarType.Float32, $"images must be float32 [N,3,H,W], got [{string.Join(",", Images.shape)}]");
        if (Labels is not null)
            Require(Labels.dim() == 2 && Labels.shape[0] == b, "labels must be [B,L]");
    }
}

/// <summary>What a forward pass produced.</summary>
/// <param name="Logits">[B, C] head outputs before the sigmoid.</param>
/// <param name="Probabilities">[B, C] sigmoid of the logits (what the reference losses take).</param>
/// <param name="EhrFeature">[B, H] EHR feature after dropout, or null for the CXR-only head.</param>
/// <param name="CxrFeature">[B, 512] CXR feature (zero rows for absent images in masked mode), or null for the EHR-only head.</param>
/// <param name="AttentionWeights">Per encoder layer [B, heads, 2, 2] attention probabilities (attention fusion only).</param>
public sealed record FusionOutput(Tensor Logits, Tensor Probabilities, Tensor? EhrFeature, Tensor? CxrFeature, IReadOnlyList<Tensor> AttentionWeights);
