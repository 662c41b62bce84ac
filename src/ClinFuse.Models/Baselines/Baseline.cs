using ClinFuse.Core;
using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Models.Baselines;

/// <summary>Which paper baseline a network or checkpoint is.</summary>
public enum BaselineKind
{
    /// <summary>ViT image encoder + EHR LSTM, contrastive pre-training, fused classifier.</summary>
    ContrastiveVit,
    /// <summary>Classification-and-regression diffusion over fused embeddings.</summary>
    Card,
}

/// <summary>Which network encodes the chest X-ray in a baseline.</summary>
public enum ImageEncoderKind
{
    /// <summary>The reference ResNet-34 (<c>cxr_model.vision_backbone</c>, 512-d feature).</summary>
    ResNet34,
    /// <summary>A <see cref="VisionTransformer"/> (<c>cxr_model.conv_proj</c>, …).</summary>
    Vit,
}

/// <summary>Helpers shared by the baselines.</summary>
public static class Baseline
{
    /// <summary>Throws a configuration <see cref="ClinFuseException"/> when <paramref name="ok"/> is false.</summary>
    public static void Require(bool ok, string what)
    {
        if (!ok) throw new ClinFuseException($"Invalid baseline configuration: {what}.", "Fix the baseline settings (config file or options) and retry.");
    }

    /// <summary>The batch's labels, or a <see cref="ClinFuseException"/> when it has none or their count is not <paramref name="numClasses"/>.</summary>
    public static Tensor RequireLabels(FusionBatch batch, int numClasses, string purpose)
    {
        var labels = batch.Labels ?? throw new ClinFuseException($"{purpose} needs labels but the batch has none.", "Train on a split with labels.");
        if (labels.shape[1] != numClasses)
            throw new ClinFuseException($"{purpose}: the batch has {labels.shape[1]} labels per stay but the model predicts {numClasses}.", "Build the model for the task's label set.");
        return labels;
    }

    /// <summary>
    /// Scatters the features of the samples that have an image (<paramref name="features"/> [N, D], in
    /// batch order) into a [B, D] matrix whose rows for samples without an image are zero. Differentiable.
    /// </summary>
    public static Tensor ScatterImageFeatures(Tensor? features, Tensor hasImage, long featureDim)
    {
        long b = hasImage.shape[0];
        var full = zeros(b, featureDim, dtype: ScalarType.Float32, device: hasImage.device);
        if (features is null || features.shape[0] == 0) return full;
        return full.index_copy(0, hasImage.nonzero().squeeze(1), features);
    }

    /// <summary>The feature of each image with <paramref name="imageEncoder"/>, or null when the batch has none.</summary>
    public static Tensor? EncodeImages(nn.Module<Tensor, Tensor> imageEncoder, FusionBatch batch) =>
        batch.Images is { } images && images.shape[0] > 0 ? imageEncoder.call(images) : null;
}
