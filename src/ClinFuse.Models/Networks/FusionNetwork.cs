using ClinFuse.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.utils.rnn;

namespace ClinFuse.Models.Networks;

/// <summary>
/// The reference <c>Fusion</c> container: both encoders and every fusion head, with the reference's
/// state-dict names and order (<c>ehr_model</c>, <c>cxr_model</c>, <c>projection</c>, <c>fused_cls</c>,
/// <c>attn_layer</c>, <c>attn_fused_cls</c>, <c>lstm_fused_cls</c>, <c>lstm_fusion_layer</c>), so a
/// reference checkpoint maps 1:1. <see cref="ModelConfig.Fusion"/> picks which head runs; heads that
/// do not run get no gradient. With <see cref="ModelConfig.OnlyUsedModules"/> only the modules of the
/// chosen fusion type are built (same names, a subset of the reference state dict).
/// </summary>
public sealed class FusionNetwork : Module<FusionBatch, FusionOutput>
{
    /// <summary>The EHR LSTM encoder and uni-EHR head.</summary>
    public EhrLstmEncoder EhrModel => ehr_model;
    readonly EhrLstmEncoder ehr_model;
    /// <summary>The ResNet-34 encoder and uni-CXR head.</summary>
    public CxrEncoder CxrModel => cxr_model ?? throw Absent(nameof(cxr_model));
    readonly CxrEncoder? cxr_model;
    /// <summary>Linear 512 → token width, applied to the CXR feature.</summary>
    public Linear Projection => projection ?? throw Absent(nameof(projection));
    readonly Linear? projection;
    /// <summary>Early-fusion head (Linear 2·H → C).</summary>
    public Sequential FusedCls => fused_cls ?? throw Absent(nameof(fused_cls));
    readonly Sequential? fused_cls;
    /// <summary>The attention fusion's Transformer encoder.</summary>
    public TransformerFusionEncoder AttnLayer => attn_layer ?? throw Absent(nameof(attn_layer));
    readonly TransformerFusionEncoder? attn_layer;
    /// <summary>Attention-fusion head (Linear 2·H → C).</summary>
    public Sequential AttnFusedCls => attn_fused_cls ?? throw Absent(nameof(attn_fused_cls));
    readonly Sequential? attn_fused_cls;
    /// <summary>MedFuse head (Linear fusion-LSTM width → C).</summary>
    public Sequential LstmFusedCls => lstm_fused_cls ?? throw Absent(nameof(lstm_fused_cls));
    readonly Sequential? lstm_fused_cls;
    /// <summary>MedFuse fusion LSTM (H → fusion-LSTM width).</summary>
    public LSTM LstmFusionLayer => lstm_fusion_layer ?? throw Absent(nameof(lstm_fusion_layer));
    readonly LSTM? lstm_fusion_layer;

    /// <summary>The configuration this network was built from.</summary>
    public ModelConfig Config { get; }

    /// <summary>Builds a randomly initialised network (seed it with <c>torch.manual_seed</c> first for reproducibility).</summary>
    public FusionNetwork(ModelConfig config) : base(nameof(FusionNetwork))
    {
        config.Validate();
        Config = config;
        int h = config.EhrHidden;
        ehr_model = new EhrLstmEncoder(config.EhrInputDim, h, config.EhrLayers, config.EhrDropout, config.NumClasses);
        register_module(nameof(ehr_model), ehr_model);
        var fusion = config.Fusion;
        bool Needed(params ModelKind[] users) => !config.OnlyUsedModules || users.Contains(fusion);
        ModelKind[] withImages = [ModelKind.UniCxr, ModelKind.Early, ModelKind.MedFuseLstm, ModelKind.Attention];
        ModelKind[] withTokens = [ModelKind.Early, ModelKind.MedFuseLstm, ModelKind.Attention];
        if (Needed(withImages)) cxr_model = Register(nameof(cxr_model), new CxrEncoder(config.VisionNumClasses));
        if (Needed(withTokens)) projection = Register(nameof(projection), Linear(ResNet34Backbone.FeatureDim, h));
        if (Needed(ModelKind.Early)) fused_cls = Register(nameof(fused_cls), Sequential(Linear(2 * h, config.NumClasses)));
        if (Needed(ModelKind.Attention))
        {
            attn_layer = Register(nameof(attn_layer), new TransformerFusionEncoder(config.TransformerLayers, h, config.TransformerHeads, config.TransformerFeedForward, config.TransformerDropout));
            attn_fused_cls = Register(nameof(attn_fused_cls), Sequential(Linear(2 * h, config.NumClasses)));
        }
        if (Needed(ModelKind.MedFuseLstm))
        {
            lstm_fused_cls = Register(nameof(lstm_fused_cls), Sequential(Linear(config.FusionLstmHidden, config.NumClasses)));
            lstm_fusion_layer = Register(nameof(lstm_fusion_layer), LSTM(h, config.FusionLstmHidden, numLayers: 1, batchFirst: true));
        }
        if (config.SeriesResidual)
        {
            // Zeroed after the usual initialisation, so every other module draws the same weights as without the residual.
            using var noGrad = no_grad();
            foreach (var p in FusionHead().parameters()) p.zero_();
        }
    }

    /// <summary>The final layer of the configured fusion head.</summary>
    Sequential FusionHead() => Config.Fusion switch
    {
        ModelKind.Early => FusedCls,
        ModelKind.MedFuseLstm => LstmFusedCls,
        _ => AttnFusedCls,
    };

    T Register<T>(string name, T module) where T : nn.Module
    {
        register_module(name, module);
        return module;
    }

    static InvalidOperationException Absent(string name) =>
        new($"This network was built with only the modules its fusion type uses and has no '{name}'.");

    /// <summary>Runs the configured head on a batch.</summary>
    public override FusionOutput forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        if (Config.Fusion == ModelKind.UniEhr)
        {
            var ehrOnly = ehr_model.Encode(batch.Ehr, batch.Lengths);
            return Output(ehr_model.DenseLayer.call(ehrOnly), ehrOnly, null, []);
        }
        var cxr = CxrFeature(batch);
        if (Config.Fusion == ModelKind.UniCxr)
            return Output(CxrModel.Classifier.call(cxr), null, cxr, []);

        var ehr = ehr_model.Encode(batch.Ehr, batch.Lengths);
        Tensor Fused(Tensor logits) => Config.SeriesResidual ? logits.add(ehr_model.DenseLayer.call(ehr), HeldScalars.One) : logits;
        if (Config.Fusion == ModelKind.Early)
        {
            // The reference's early fusion uses the zero image's projected feature as it is.
            var projected = Config.MissingImage == MissingImageMode.ZeroImage ? Projection.call(cxr) : CxrToken(cxr, batch.HasImage);
            return Output(Fused(FusedCls.call(cat([ehr, projected], 1))), ehr, cxr, []);
        }
        var cxrToken = CxrToken(cxr, batch.HasImage);
        switch (Config.Fusion)
        {
            case ModelKind.MedFuseLstm:
                return Output(Fused(LstmFusedCls.call(FuseWithLstm(ehr, cxrToken, batch.HasImage))), ehr, cxr, []);
            default:
                var tokens = stack([ehr, cxrToken], 1);
                // Token 1 (the CXR) is masked as a key for samples without an image; the reference attends to the zero token.
                Tensor? padding = Config.MissingImage == MissingImageMode.Masked ? stack([zeros_like(batch.HasImage), batch.HasImage.logical_not()], 1) : null;
                var (encoded, weights) = AttnLayer.Forward(tokens, padding);
                return Output(Fused(AttnFusedCls.call(encoded.reshape(encoded.shape[0], -1))), ehr, cxr, weights);
        }
    }

    /// <summary>
    /// The CXR feature [B, 512] of every sample: in <see cref="MissingImageMode.ZeroImage"/> the zero
    /// image of an absent sample runs through the CNN; in <see cref="MissingImageMode.Masked"/> only
    /// present images do and absent rows are zero.
    /// </summary>
    public Tensor CxrFeature(FusionBatch batch)
    {
        long b = batch.Size;
        var present = batch.HasImage.nonzero().squeeze(1);
        if (Config.MissingImage == MissingImageMode.ZeroImage)
        {
            if (batch.Images is null)
                throw new ClinFuseException("The zero-image (reference) mode needs the image size, but the batch has no image at all.", "Use the masked missing-image mode or include at least one image per batch.");
            var full = batch.ImageCount == b ? batch.Images : zeros(b, 3, batch.Images.shape[2], batch.Images.shape[3], device: batch.Images.device).index_copy(0, present, batch.Images);
            return CxrModel.call(full);
        }
        if (Config.Fusion == ModelKind.UniCxr && batch.ImageCount != b)
            throw new ClinFuseException($"The CXR-only model got {b - batch.ImageCount} of {b} samples without an image.", "Train and evaluate the CXR-only model on paired samples only, or use the zero-image mode.");
        if (batch.Images is null) return zeros(b, ResNet34Backbone.FeatureDim, device: batch.Ehr.device);
        var features = CxrModel.call(batch.Images);
        return batch.ImageCount == b ? features : zeros(b, features.shape[1], device: features.device).index_copy(0, present, features);
    }

    /// <summary>The projected CXR feature, exactly zero for samples without an image.</summary>
    public Tensor CxrToken(Tensor cxrFeature, Tensor hasImage) =>
        Projection.call(cxrFeature).where(hasImage.unsqueeze(1), 0f);

    /// <summary>MedFuse: [EHR, CXR] through the fusion LSTM with length 2 when the image exists, else 1; h_n [B, width].</summary>
    public Tensor FuseWithLstm(Tensor ehr, Tensor cxrToken, Tensor hasImage)
    {
        var tokens = stack([ehr, cxrToken], 1);
        var lengths = hasImage.to(ScalarType.Int64).cpu().add(HeldScalars.One, HeldScalars.One); // packing takes its lengths on the CPU
        var (_, hidden, _) = LstmFusionLayer.call(pack_padded_sequence(tokens, lengths, batch_first: true, enforce_sorted: false));
        return hidden.squeeze(0);
    }

    static FusionOutput Output(Tensor logits, Tensor? ehr, Tensor? cxr, IReadOnlyList<Tensor> weights) =>
        new(logits, logits.sigmoid(), ehr, cxr, weights);
}
