using ClinFuse.Models.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.utils.rnn;

namespace ClinFuse.Models.Peers;

/// <summary>
/// MedFuse's <c>FusionTokens</c>: learnable 256-d <c>missing_token</c>, <c>sep_token</c> and
/// <c>cls_token</c> (initialised uniform [0, 1) as the reference), <c>projection</c> (CXR 512 → 256),
/// and two heads: <c>fused_cls</c> on concat(EHR feature, projected CXR feature or the missing token)
/// and <c>lstm_fused_cls</c> on the fusion LSTM's last state over [EHR, SEP, CXR, CLS] ([EHR, SEP]
/// without an image); <see cref="PeerConfig.TokenHead"/> picks the one that predicts.
/// </summary>
internal sealed class FusionTokensNetwork : PeerNetwork
{
    readonly Parameter missing_token, sep_token, cls_token;
    readonly Linear projection;
    readonly Sequential fused_cls, lstm_fused_cls;
    readonly LSTM lstm_fusion_layer;

    /// <summary>Builds a randomly initialised network.</summary>
    public FusionTokensNetwork(PeerConfig config) : base(nameof(FusionTokensNetwork), config)
    {
        int h = config.EhrHidden;
        missing_token = new Parameter(rand(h));
        sep_token = new Parameter(rand(h));
        cls_token = new Parameter(rand(h));
        register_parameter(nameof(missing_token), missing_token);
        register_parameter(nameof(sep_token), sep_token);
        register_parameter(nameof(cls_token), cls_token);
        projection = Register(nameof(projection), Linear(ResNet34Backbone.FeatureDim, h));
        fused_cls = Register(nameof(fused_cls), Sequential(Linear(2 * h, config.NumClasses)));
        lstm_fused_cls = Register(nameof(lstm_fused_cls), Sequential(Linear(config.FusionLstmHidden, config.NumClasses)));
        lstm_fusion_layer = Register(nameof(lstm_fusion_layer), LSTM(h, config.FusionLstmHidden, numLayers: 1, batchFirst: true));
    }

    /// <summary>The learnable token that stands in for an absent image in the joint head.</summary>
    public Parameter MissingToken => missing_token;

    /// <inheritdoc/>
    public override PeerOutput forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        var ehr = EhrModel.Encode(batch.Ehr, batch.Lengths);
        var (images, presence) = CnnInput(batch);
        Tensor projected;
        if (images is null) projected = zeros(batch.Size, Config.EhrHidden, device: ehr.device);
        else
        {
            projected = projection.call(CxrModel.call(images));
            if (presence is not null) projected = presence.Scatter(projected);
        }
        var hasImage = batch.HasImage.unsqueeze(1);
        Tensor logits;
        if (Config.TokenHead == TokenHead.Joint)
            logits = fused_cls.call(cat([ehr, projected.where(hasImage, missing_token.unsqueeze(0))], 1));
        else
        {
            long b = batch.Size;
            var sequence = stack([ehr, sep_token.expand(b, -1), projected.where(hasImage, 0f), cls_token.expand(b, -1)], 1);
            var lengths = batch.HasImage.to(ScalarType.Int64).cpu() * 2 + 2; // packing takes its lengths on the CPU
            var (_, hidden, _) = lstm_fusion_layer.call(pack_padded_sequence(sequence, lengths, batch_first: true, enforce_sorted: false));
            logits = lstm_fused_cls.call(hidden.squeeze(0));
        }
        return new PeerOutput(new FusionOutput(logits, logits.sigmoid(), ehr, projected, []), []);
    }
}
