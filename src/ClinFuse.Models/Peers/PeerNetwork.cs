using ClinFuse.Core;
using ClinFuse.Models.Networks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>
/// Which batch rows the image rows belong to when only present images run through the CNN
/// (<see cref="MissingImageMode.Masked"/>); a null presence means every batch row has an image row.
/// </summary>
/// <param name="Rows">int64 [N]: the batch row of each image row.</param>
/// <param name="Mask">bool [B]: which batch rows have an image.</param>
public sealed record ImagePresence(Tensor Rows, Tensor Mask)
{
    /// <summary>Image-row values [N, D] scattered into a [B, D] matrix, zero where the image is absent.</summary>
    public Tensor Scatter(Tensor imageRows) =>
        zeros(Mask.shape[0], imageRows.shape[1], dtype: imageRows.dtype, device: imageRows.device).index_copy(0, Rows, imageRows);

    /// <summary><paramref name="values"/> [B, D] where the image is present, <paramref name="absent"/> elsewhere.</summary>
    public Tensor KeepPresent(Tensor values, double absent) => values.where(Mask.unsqueeze(1), absent);
}

/// <summary>
/// A peer fusion model (<see cref="PeerKind"/>) over the reference encoders <c>ehr_model</c> and
/// <c>cxr_model</c> (the same state-dict names as <see cref="FusionNetwork"/>, so pre-trained encoders
/// load into it), with the reference container's own block and head names.
/// </summary>
public abstract class PeerNetwork : Module<FusionBatch, PeerOutput>
{
    /// <summary>The configuration this network was built from.</summary>
    public PeerConfig Config { get; }

    /// <summary>The EHR LSTM encoder and its uni-EHR head (MedFuse's peers; DrFuse has its own encoders).</summary>
    public EhrLstmEncoder EhrModel => ehr_model ?? throw new InvalidOperationException($"The {Config.Kind} model has no LSTM EHR encoder.");
    readonly EhrLstmEncoder? ehr_model;

    /// <summary>The ResNet-34 encoder and its uni-CXR head (MedFuse's peers; DrFuse has its own encoders).</summary>
    public CxrEncoder CxrModel => cxr_model ?? throw new InvalidOperationException($"The {Config.Kind} model has no ResNet-34 CXR encoder.");
    readonly CxrEncoder? cxr_model;

    /// <summary>Builds and registers the two reference encoders (the subclass registers its own modules after them).</summary>
    protected PeerNetwork(string name, PeerConfig config) : this(name, config, referenceEncoders: true) { }

    /// <summary>
    /// Validates the configuration and, when <paramref name="referenceEncoders"/> is set, builds and
    /// registers MedFuse's two encoders; otherwise the subclass registers encoders of its own.
    /// </summary>
    protected PeerNetwork(string name, PeerConfig config, bool referenceEncoders) : base(name)
    {
        config.Validate();
        Config = config;
        if (!referenceEncoders) return;
        ehr_model = new EhrLstmEncoder(config.EhrInputDim, config.EhrHidden, config.EhrLayers, config.EhrDropout, config.NumClasses);
        cxr_model = new CxrEncoder(config.NumClasses);
        register_module(nameof(ehr_model), ehr_model);
        register_module(nameof(cxr_model), cxr_model);
    }

    /// <summary>Registers a submodule under its reference name and returns it.</summary>
    protected T Register<T>(string name, T module) where T : nn.Module
    {
        register_module(name, module);
        return module;
    }

    /// <summary>
    /// The images the CNN runs on and where their rows belong: every row (absent ones as all-zero
    /// images) in <see cref="MissingImageMode.ZeroImage"/>; only the present images otherwise (null
    /// when the batch has none).
    /// </summary>
    protected (Tensor? Images, ImagePresence? Presence) CnnInput(FusionBatch batch)
    {
        long b = batch.Size;
        var present = batch.HasImage.nonzero().squeeze(1);
        if (Config.MissingImage == MissingImageMode.ZeroImage)
        {
            if (batch.Images is null)
                throw new ClinFuseException("The zero-image (reference) mode needs the image size, but the batch has no image at all.", "Use the masked missing-image mode or include at least one image per batch.");
            var full = batch.ImageCount == b ? batch.Images
                : zeros(b, 3, batch.Images.shape[2], batch.Images.shape[3], device: batch.Images.device).index_copy(0, present, batch.Images);
            return (full, null);
        }
        return (batch.Images, batch.ImageCount == b ? null : new ImagePresence(present, batch.HasImage));
    }

    /// <summary>A logit per probability (the inverse sigmoid), for heads that average probabilities.</summary>
    protected static Tensor Logit(Tensor probabilities)
    {
        var p = probabilities.clamp(1e-7, 1 - 1e-7);
        return p.log() - (-p).log1p();
    }
}
