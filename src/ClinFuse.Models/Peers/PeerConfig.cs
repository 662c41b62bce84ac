using ClinFuse.Core;
using ClinFuse.Models.Networks;

namespace ClinFuse.Models.Peers;

/// <summary>Which peer fusion model (the baselines MedFuse's code ships) a network is.</summary>
public enum PeerKind
{
    /// <summary>Multimodal transfer modules between ResNet stages and the EHR hidden sequence (MedFuse <c>FusionMMTM</c>).</summary>
    Mmtm,
    /// <summary>Dynamic affine feature-map transform of the EHR hidden sequence (MedFuse <c>FusionDAFT</c>).</summary>
    Daft,
    /// <summary>Learnable missing-modality, SEP and CLS tokens (MedFuse <c>FusionTokens</c>).</summary>
    Tokens,
    /// <summary>Per-class weighted average of the unimodal predictions, weights chosen on validation.</summary>
    Late,
    /// <summary>
    /// DrFuse (Yao et al., AAAI 2024): shared and distinct EHR and CXR representations (Transformer and
    /// ResNet-50 encoders of its own), logit pooling of the shared ones, disease-wise attention.
    /// </summary>
    DrFuse,
}

/// <summary>How a stage-wise block summarises the EHR hidden sequence over time.</summary>
public enum TimeSqueeze
{
    /// <summary>Mean over each sample's own time steps (padding never counts).</summary>
    ValidSteps,
    /// <summary>
    /// The reference: mean over the batch's longest length, padding included, so a short stay's
    /// summary shrinks with the length of the longest stay in its batch.
    /// </summary>
    IncludingPadding,
}

/// <summary>The prediction head of the tokens model.</summary>
public enum TokenHead
{
    /// <summary>
    /// concat(EHR feature, projected CXR feature) → <c>fused_cls</c>, the learnable <c>missing_token</c>
    /// standing in for an absent image (the reference scripts' <c>--fusion_type joint --missing_token learnable</c>).
    /// </summary>
    Joint,
    /// <summary>
    /// [EHR, SEP, CXR, CLS] through <c>lstm_fusion_layer</c>, only [EHR, SEP] when the image is absent
    /// (the reference's <c>lstm_with_token</c>) → <c>lstm_fused_cls</c>.
    /// </summary>
    LstmWithTokens,
}

/// <summary>Architecture and behaviour of a <see cref="PeerNetwork"/>.</summary>
/// <param name="Kind">Which peer model.</param>
/// <param name="NumClasses">Task labels.</param>
/// <param name="MissingImage">
/// Missing-image handling: <see cref="MissingImageMode.ZeroImage"/> runs an all-zero image through the CNN
/// (the reference); <see cref="MissingImageMode.Masked"/> runs only present images and leaves absent
/// samples unmodulated (MMTM, DAFT), gives them the missing token (tokens) or the EHR prediction alone (late).
/// </param>
/// <param name="EhrInputDim">Features per hour.</param>
/// <param name="EhrHidden">LSTM width.</param>
/// <param name="EhrLayers">Stacked single-layer LSTMs (MMTM and DAFT exchange after the first, so need at least 2).</param>
/// <param name="EhrDropout">Dropout on the EHR feature.</param>
/// <param name="LayerAfter">MMTM and DAFT: the ResNet stage after which the block runs (0 = stem, 1–4 = layer1–4, −1 = after every stage).</param>
/// <param name="MmtmRatio">MMTM bottleneck ratio: the squeeze layer has floor(2·(C + H)/ratio) units.</param>
/// <param name="Squeeze">MMTM and DAFT: how the EHR sequence is summarised over time.</param>
/// <param name="TokenHead">Tokens: which head predicts.</param>
/// <param name="FusionLstmHidden">Tokens: width of the fusion LSTM (the reference's CXR feature width, 512).</param>
/// <param name="EhrHeads">DrFuse: attention heads of its EHR Transformer (the reference's <c>--ehr_n_head</c>).</param>
/// <param name="EhrTransformerLayers">DrFuse: layers of its shared and of its distinct EHR Transformer (<c>--ehr_n_layers</c>).</param>
public sealed record PeerConfig(
    PeerKind Kind,
    int NumClasses,
    MissingImageMode MissingImage = MissingImageMode.Masked,
    int EhrInputDim = 76,
    int EhrHidden = 256,
    int EhrLayers = 2,
    double EhrDropout = 0.3,
    int LayerAfter = 4,
    int MmtmRatio = 4,
    TimeSqueeze Squeeze = TimeSqueeze.ValidSteps,
    TokenHead TokenHead = TokenHead.Joint,
    int FusionLstmHidden = 512,
    int EhrHeads = 4,
    int EhrTransformerLayers = 1)
{
    /// <summary>Whether the model runs blocks between the ResNet stages and the EHR LSTMs.</summary>
    public bool IsStagewise => Kind is PeerKind.Mmtm or PeerKind.Daft;

    /// <summary>Whether a block runs after ResNet stage <paramref name="stage"/> (0 = stem).</summary>
    public bool BlockAfter(int stage) => IsStagewise && (LayerAfter == -1 || LayerAfter == stage);

    /// <summary>Throws a <see cref="ClinFuseException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new ClinFuseException($"Invalid peer model configuration: {what}.", "Fix the model settings (config file or options) and retry.");
        }
        Require(NumClasses >= 1, $"NumClasses must be at least 1, got {NumClasses}");
        Require(EhrInputDim >= 1 && EhrHidden >= 1 && FusionLstmHidden >= 1, "dimensions must be positive");
        Require(EhrLayers >= (IsStagewise ? 2 : 1), $"{Kind} needs at least {(IsStagewise ? 2 : 1)} EHR layers (the exchange sits between the first and the second), got {EhrLayers}");
        Require(EhrDropout is >= 0 and < 1, "dropout must lie in [0, 1)");
        Require(LayerAfter is >= -1 and <= ResNet34Backbone.StageCount, $"the layer after which the block runs must be −1 (every stage) or 0–{ResNet34Backbone.StageCount}, got {LayerAfter}");
        Require(MmtmRatio >= 1, $"the MMTM ratio must be at least 1, got {MmtmRatio}");
        Require(EhrHeads >= 1 && EhrHidden % EhrHeads == 0, $"the EHR width {EhrHidden} must be a multiple of the attention heads ({EhrHeads})");
        Require(EhrTransformerLayers >= 1, $"the EHR Transformer needs at least 1 layer, got {EhrTransformerLayers}");
    }
}
