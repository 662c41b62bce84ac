using ClinFuse.Models.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>What DrFuse's forward pass computed (the reference's output dictionary, every row of the batch).</summary>
/// <param name="EhrShared">[B, D] <c>shared_project</c>(EHR shared representation).</param>
/// <param name="CxrShared">[B, D] <c>shared_project</c>(CXR shared representation); zero rows where no image ran.</param>
/// <param name="EhrDistinct">[B, D] EHR distinct representation.</param>
/// <param name="CxrDistinct">[B, D] CXR distinct representation; zero rows where no image ran.</param>
/// <param name="PredShared">[B, C] prediction from the pooled shared representation.</param>
/// <param name="PredEhr">[B, C] EHR-only prediction (distinct representation).</param>
/// <param name="PredCxr">[B, C] CXR-only prediction; zero rows where no image ran.</param>
/// <param name="AttentionWeights">[B, C, 3] disease-wise weights of (EHR distinct, shared, CXR distinct); the CXR weight is 0 without an image.</param>
/// <param name="Logits">[B, C] logits of the final prediction.</param>
/// <param name="Pairs">[B] 1 where the stay has an image, 0 elsewhere.</param>
/// <param name="CnnRows">Batch rows the CNN ran on (int64 [N]): the present images, or every row in the zero-image mode.</param>
internal sealed record DrFuseOutput(Tensor EhrShared, Tensor CxrShared, Tensor EhrDistinct, Tensor CxrDistinct, Tensor PredShared, Tensor PredEhr,
    Tensor PredCxr, Tensor AttentionWeights, Tensor Logits, Tensor Pairs, Tensor CnnRows)
{
    /// <summary>[B, C] the final prediction.</summary>
    public Tensor PredFinal => Logits.sigmoid();

    /// <summary>
    /// Every term of the reference objective on these outputs (the reference's <c>_compute_and_log_loss</c>).
    /// Each row-wise term averages over the rows it covers: the CXR prediction and the CXR alignment
    /// over the stays with an image; the JSD sums over the rows the CNN ran on and divides by the stays
    /// with an image (in the zero-image mode that includes the stays without one, as the reference does).
    /// </summary>
    public DrFuseLossTerms Terms(Tensor labels)
    {
        var withImage = Pairs.nonzero().squeeze(1);
        double paired = Math.Max(1e-6, withImage.shape[0]);
        Tensor Bce(Tensor p, Tensor y) => functional.binary_cross_entropy(p, y);
        var predCxr = withImage.shape[0] == 0 ? zeros(1, device: Logits.device).squeeze() : Bce(PredCxr.index_select(0, withImage), labels.index_select(0, withImage));
        var cnnPairs = Pairs.index_select(0, CnnRows);
        var simEhr = functional.cosine_similarity(EhrShared, EhrDistinct, dim: 1).abs().mean();
        var simCxr = (functional.cosine_similarity(CxrShared.index_select(0, CnnRows), CxrDistinct.index_select(0, CnnRows), dim: 1).abs() * cnnPairs).sum() / paired;
        var p = EhrShared.index_select(0, CnnRows).sigmoid();
        var q = CxrShared.index_select(0, CnnRows).sigmoid();
        var m = (0.5 * (p + q)).log();
        var jsd = 0.5 * (p * (p.log() - m) + q * (q.log() - m)).sum() / paired;
        return new DrFuseLossTerms(Bce(PredFinal, labels), Bce(PredShared, labels), Bce(PredEhr, labels), predCxr, simEhr, simCxr, jsd, AttentionRanking(labels));
    }

    /// <summary>
    /// The attention-ranking term: for each pair of the three sources, on the stays with an image, a
    /// zero-margin ranking loss asking the source with the lower per-label BCE (detached) for the larger
    /// weight, summed and divided by the number of violated pairs; the mean of the three.
    /// </summary>
    Tensor AttentionRanking(Tensor labels)
    {
        Tensor Raw(Tensor p) => functional.binary_cross_entropy(p.detach(), labels, reduction: Reduction.None);
        var (ehr, cxr, shared) = (Raw(PredEhr), Raw(PredCxr), Raw(PredShared));
        var pairs = Pairs.unsqueeze(1);
        var attnEhr = AttentionWeights.select(2, 0);
        var attnShared = AttentionWeights.select(2, 1);
        var attnCxr = AttentionWeights.select(2, 2);
        Tensor Ranking(Tensor first, Tensor second, Tensor firstLoss, Tensor secondLoss)
        {
            var sign = 2 * firstLoss.lt(secondLoss).to(first.dtype) - 1;
            var loss = pairs * (-sign * (first - second)).clamp_min(0);
            return loss.sum() / loss.gt(0).sum().to(loss.dtype).clamp_min(1e-6);
        }
        return (Ranking(attnCxr, attnEhr, cxr, ehr) + Ranking(attnShared, attnEhr, shared, ehr) + Ranking(attnShared, attnCxr, shared, cxr)) / 3;
    }
}

/// <summary>The terms of DrFuse's objective; every weight is 1 in the reference's defaults.</summary>
/// <param name="PredFinal">BCE of the final prediction.</param>
/// <param name="PredShared">BCE of the shared prediction.</param>
/// <param name="PredEhr">BCE of the EHR-only prediction.</param>
/// <param name="PredCxr">BCE of the CXR-only prediction on the stays with an image.</param>
/// <param name="SimEhr">Mean |cosine| between the EHR shared and distinct representations.</param>
/// <param name="SimCxr">The same for the CXR ones, on the stays with an image.</param>
/// <param name="Jsd">Jensen–Shannon term between the sigmoids of the EHR and CXR shared representations.</param>
/// <param name="AttentionRanking">The attention-ranking term.</param>
internal sealed record DrFuseLossTerms(Tensor PredFinal, Tensor PredShared, Tensor PredEhr, Tensor PredCxr, Tensor SimEhr, Tensor SimCxr, Tensor Jsd, Tensor AttentionRanking)
{
    /// <summary>The disentanglement and attention-ranking terms (what the objective adds to the prediction losses).</summary>
    public Tensor Penalty => Jsd + SimEhr + SimCxr + AttentionRanking;

    /// <summary>The reference's total loss.</summary>
    public Tensor Total => PredFinal + (PredShared + PredEhr + PredCxr) + (Jsd + SimEhr + SimCxr) + AttentionRanking;
}

/// <summary>
/// DrFuse (Yao et al., AAAI 2024; the reference's <c>DrFuseModel</c>, state-dict names 1:1): an EHR
/// Transformer with shared and distinct branches (<see cref="DrFuseEhrTransformer"/>, <c>ehr_model</c>); a
/// CXR stem <c>cxr_model_feat</c> (ResNet-50's conv1 and bn1, without ReLU and max-pooling, as in the
/// reference) feeding two ResNet-50 branches <c>cxr_model_shared</c> and <c>cxr_model_spec</c>
/// (<see cref="ResNet50Branch"/>); <c>shared_project</c> on both shared representations; their logit
/// pooling (the EHR one alone without an image) → <c>fuse_model_shared</c>; and the disease-wise
/// attention (<c>attn_proj</c>: a query, a value and one key per label for each of EHR distinct, pooled
/// shared and CXR distinct; the CXR source masked without an image) → <c>final_pred_fc</c>, label c
/// reading its own row. The reference's unused <c>ehr_model_linear</c> and <c>domain_classifier</c> are
/// not built.
/// </summary>
internal sealed class DrFuseNetwork : PeerNetwork
{
    readonly DrFuseEhrTransformer ehr_model;
    readonly Sequential cxr_model_feat;
    readonly ResNet50Branch cxr_model_shared, cxr_model_spec;
    readonly Sequential shared_project;
    readonly Linear cxr_model_linear, fuse_model_shared, attn_proj, final_pred_fc;

    /// <summary>Builds a randomly initialised network.</summary>
    public DrFuseNetwork(PeerConfig config) : base(nameof(DrFuseNetwork), config, referenceEncoders: false)
    {
        int d = config.EhrHidden, c = config.NumClasses;
        ehr_model = Register(nameof(ehr_model), new DrFuseEhrTransformer(config.EhrInputDim, d, config.EhrHeads, config.EhrTransformerLayers, config.EhrDropout, c));
        cxr_model_feat = Register(nameof(cxr_model_feat), Sequential(Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false), BatchNormLayer.Over2d(64)));
        cxr_model_shared = Register(nameof(cxr_model_shared), new ResNet50Branch(d));
        cxr_model_spec = Register(nameof(cxr_model_spec), new ResNet50Branch(d));
        shared_project = Register(nameof(shared_project), Sequential(Linear(d, 2 * d), ReLU(), Linear(2 * d, d), ReLU(), Linear(d, d)));
        cxr_model_linear = Register(nameof(cxr_model_linear), Linear(d, c));
        fuse_model_shared = Register(nameof(fuse_model_shared), Linear(d, c));
        attn_proj = Register(nameof(attn_proj), Linear(d, (2 + c) * d));
        final_pred_fc = Register(nameof(final_pred_fc), Linear(d, c));
    }

    /// <summary>Runs the model on a batch: every output of the reference.</summary>
    public DrFuseOutput Forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        long b = batch.Size;
        int d = Config.EhrHidden, c = Config.NumClasses;
        var ehr = ehr_model.Forward(batch.Ehr, batch.Lengths);
        var device = batch.Ehr.device;
        var (images, presence) = CnnInput(batch);
        Tensor EveryRow(Tensor rows) => presence is null ? rows : presence.Scatter(rows);
        Tensor cxrShared, cxrDistinct, predCxr, cnnRows;
        if (images is null)
        {
            cxrShared = zeros(b, d, device: device);
            cxrDistinct = zeros(b, d, device: device);
            predCxr = zeros(b, c, device: device);
            cnnRows = empty(0, dtype: ScalarType.Int64, device: device);
        }
        else
        {
            var stem = cxr_model_feat.call(images);
            var distinct = cxr_model_spec.call(stem);
            cxrShared = EveryRow(shared_project.call(cxr_model_shared.call(stem)));
            cxrDistinct = EveryRow(distinct);
            predCxr = EveryRow(cxr_model_linear.call(distinct).sigmoid());
            cnnRows = presence?.Rows ?? arange(b, dtype: ScalarType.Int64, device: device);
        }
        var ehrShared = shared_project.call(ehr.Shared);
        var pairs = batch.HasImage.to(ScalarType.Float32).to(device);
        var pairColumn = pairs.unsqueeze(1);

        // Logit pooling of the shared representations: log(2e^(h1+h2) + e^h1 + e^h2) − log(2 + e^h1 + e^h2).
        var (h1, h2) = (ehrShared, cxrShared);
        var pooled = stack([h1 + h2, h1 + h2, h1, h2], 2).logsumexp(2) - stack([zeros_like(h1), zeros_like(h1), h1, h2], 2).logsumexp(2);
        pooled = pairColumn * pooled + (1 - pairColumn) * ehrShared;
        var predShared = fuse_model_shared.call(pooled).sigmoid();

        // Disease-wise attention over (EHR distinct, pooled shared, CXR distinct).
        var qkv = attn_proj.call(stack([ehr.Distinct, pooled, cxrDistinct], 1));
        var q = qkv.narrow(2, 0, d);
        var v = qkv.narrow(2, d, d);
        var keys = qkv.narrow(2, 2 * d, c * d).reshape(b, 3, c, d).permute(0, 2, 1, 3);
        var query = pairColumn * q.mean([1]) + (1 - pairColumn) * q.narrow(1, 0, 2).mean([1]);
        var scores = einsum("bd,bnkd->bnk", query, keys) / Math.Sqrt(d);
        var absentCxr = pairs.eq(0).view(b, 1, 1).logical_and(arange(3, device: device).eq(2).view(1, 1, 3));
        var weights = scores.masked_fill(absentCxr, double.NegativeInfinity).softmax(-1);
        var logits = (weights.matmul(v) * final_pred_fc.weight!.unsqueeze(0)).sum(-1) + final_pred_fc.bias!;
        return new DrFuseOutput(ehrShared, cxrShared, ehr.Distinct, cxrDistinct, predShared, ehr.Probabilities, predCxr, weights, logits, pairs, cnnRows);
    }

    /// <summary>
    /// The prediction is the final head's; the shared, EHR-only and CXR-only predictions are auxiliary
    /// heads (BCE; the CXR one on the stays with an image), and the disentanglement and attention-ranking
    /// terms are the penalty.
    /// </summary>
    public override PeerOutput forward(FusionBatch batch)
    {
        var output = Forward(batch);
        var withImage = output.Pairs.nonzero().squeeze(1);
        var auxiliary = new List<AuxiliaryHead>
        {
            new("shared", output.PredShared, null),
            new("ehr_only", output.PredEhr, null),
            new("cxr_only", output.PredCxr.index_select(0, withImage), withImage),
        };
        var main = new FusionOutput(output.Logits, output.PredFinal, output.EhrDistinct, output.CxrDistinct, []);
        return new PeerOutput(main, auxiliary, Penalty: labels => output.Terms(labels).Penalty);
    }
}
