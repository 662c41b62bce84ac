namespace ClinFuse.Models.Networks;

/// <summary>
/// Which model a run trains: a head of <see cref="FusionNetwork"/> (the reference's <c>--fusion_type</c>:
/// <see cref="UniEhr"/> to <see cref="Attention"/>), one of the paper's baselines, or a peer model. Its
/// name is the <c>Model</c> of a training configuration and of a run's descriptor.
/// </summary>
public enum ModelKind
{
    /// <summary>EHR LSTM alone (<c>uni_ehr</c>).</summary>
    UniEhr,
    /// <summary>ResNet-34 alone (<c>uni_cxr</c>).</summary>
    UniCxr,
    /// <summary>Concatenation of the EHR feature and the projected CXR feature (<c>early</c>/<c>joint</c>).</summary>
    Early,
    /// <summary>MedFuse: the two tokens through an LSTM, the CXR token skipped when absent (<c>lstm</c>).</summary>
    MedFuseLstm,
    /// <summary>The paper's model: a two-token post-norm Transformer encoder (<c>attention</c>).</summary>
    Attention,
    /// <summary>The paper's Contrastive + ViT baseline (<see cref="Baselines.ContrastiveVitNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    ContrastiveVit,
    /// <summary>The paper's multimodal CARD baseline (<see cref="Baselines.CardNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    Card,
    /// <summary>MedFuse's MMTM baseline (<see cref="Peers.MmtmNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    Mmtm,
    /// <summary>MedFuse's DAFT baseline (<see cref="Peers.DaftNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    Daft,
    /// <summary>MedFuse's learnable missing-modality tokens (<see cref="Peers.FusionTokensNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    Tokens,
    /// <summary>Late fusion of the unimodal predictions (<see cref="Peers.LateFusionNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    Late,
    /// <summary>DrFuse (Yao et al., AAAI 2024; <see cref="Peers.DrFuseNetwork"/>, not a <see cref="FusionNetwork"/> head).</summary>
    DrFuse,
}

/// <summary>Groups of <see cref="ModelKind"/>.</summary>
public static class ModelKinds
{
    /// <summary>
    /// Whether <paramref name="kind"/> is a fusion head of <see cref="FusionNetwork"/> (Early, MedFuseLstm,
    /// Attention): both encoders feed it, so it can start from pre-trained encoders, freeze them, or add
    /// the series residual.
    /// </summary>
    public static bool IsFusionHead(this ModelKind kind) => kind is ModelKind.Early or ModelKind.MedFuseLstm or ModelKind.Attention;
}

/// <summary>How a sample without a chest X-ray is handled.</summary>
public enum MissingImageMode
{
    /// <summary>
    /// The CNN runs only on samples that have an image; the attention fusion masks the absent token
    /// (key padding mask) and early fusion gets a zero CXR vector.
    /// </summary>
    Masked,
    /// <summary>
    /// Reference behaviour: an all-zero image goes through the CNN (and into train-mode BatchNorm
    /// statistics); the projected token is zeroed afterwards and still attended to.
    /// </summary>
    ZeroImage,
}

/// <summary>Architecture and behaviour of a <see cref="FusionNetwork"/>.</summary>
/// <param name="Fusion">Which head produces the prediction.</param>
/// <param name="NumClasses">Task labels (25 phenotypes, 1 for in-hospital mortality).</param>
/// <param name="VisionNumClasses">Outputs of the CXR encoder's own head (the reference's <c>--vision_num_classes</c>).</param>
/// <param name="MissingImage">Missing-image handling.</param>
/// <param name="EhrInputDim">Features per hour of the EHR series.</param>
/// <param name="EhrHidden">LSTM width, also the token width of the fusion.</param>
/// <param name="EhrLayers">Stacked single-layer LSTMs in the EHR encoder.</param>
/// <param name="EhrDropout">Dropout on the EHR feature (train mode only).</param>
/// <param name="TransformerLayers">Encoder layers of the attention fusion.</param>
/// <param name="TransformerHeads">Attention heads.</param>
/// <param name="TransformerFeedForward">Width of the feed-forward block.</param>
/// <param name="TransformerDropout">Dropout inside the encoder layers (attention probabilities, residual branches, FFN).</param>
/// <param name="FusionLstmHidden">Width of the MedFuse fusion LSTM.</param>
/// <param name="OnlyUsedModules">
/// Build only the modules the fusion type uses (smaller checkpoints and optimiser state); false keeps
/// every head of the reference container so that reference checkpoints map 1:1.
/// </param>
/// <param name="SeriesResidual">
/// Fusion heads (early, MedFuse, attention): the prediction is the fusion head's logits plus the EHR
/// encoder's own head's logits, and the fusion head's layer starts at zero, so a network loaded with a
/// pre-trained EHR encoder predicts exactly what that encoder predicts before the first step and
/// fine-tuning learns only what the fused features add. False is the paper's and the reference's head.
/// </param>
public sealed record ModelConfig(
    ModelKind Fusion,
    int NumClasses,
    int VisionNumClasses,
    MissingImageMode MissingImage = MissingImageMode.Masked,
    int EhrInputDim = 76,
    int EhrHidden = 256,
    int EhrLayers = 2,
    double EhrDropout = 0.3,
    int TransformerLayers = 2,
    int TransformerHeads = 8,
    int TransformerFeedForward = 1024,
    double TransformerDropout = 0.1,
    int FusionLstmHidden = 512,
    bool OnlyUsedModules = false,
    bool SeriesResidual = false)
{
    /// <summary>The reference configuration for a task with <paramref name="numClasses"/> labels.</summary>
    public static ModelConfig Reference(ModelKind fusion, int numClasses) =>
        new(fusion, numClasses, numClasses, MissingImageMode.ZeroImage);

    /// <summary>Throws a <see cref="Core.ClinFuseException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new Core.ClinFuseException($"Invalid model configuration: {what}.", "Fix the model settings (config file or options) and retry.");
        }
        Require(Fusion is not (ModelKind.ContrastiveVit or ModelKind.Card), $"{Fusion} is a baseline network of ClinFuse.Models.Baselines, not a FusionNetwork head");
        Require(Fusion is not (ModelKind.Mmtm or ModelKind.Daft or ModelKind.Tokens or ModelKind.Late or ModelKind.DrFuse), $"{Fusion} is a peer network of ClinFuse.Models.Peers, not a FusionNetwork head");
        Require(NumClasses >= 1, $"NumClasses must be at least 1, got {NumClasses}");
        Require(VisionNumClasses >= 1, $"VisionNumClasses must be at least 1, got {VisionNumClasses}");
        Require(EhrInputDim >= 1 && EhrHidden >= 1 && FusionLstmHidden >= 1, "dimensions must be positive");
        Require(EhrLayers >= 1, $"EhrLayers must be at least 1, got {EhrLayers}");
        Require(TransformerLayers >= 1, $"TransformerLayers must be at least 1, got {TransformerLayers}");
        Require(TransformerHeads >= 1 && EhrHidden % TransformerHeads == 0, $"EhrHidden ({EhrHidden}) must be divisible by TransformerHeads ({TransformerHeads})");
        Require(!SeriesResidual || Fusion.IsFusionHead(), $"SeriesResidual applies to the fusion heads (Early, MedFuseLstm, Attention), not to {Fusion}");
        Require(EhrDropout is >= 0 and < 1 && TransformerDropout is >= 0 and < 1, "dropout rates must lie in [0, 1)");
    }
}
