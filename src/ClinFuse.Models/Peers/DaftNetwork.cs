using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Models.Peers;

/// <summary>
/// MedFuse's <c>FusionDAFT</c>: a <see cref="DaftBlock"/> (<c>daft_layer_0</c> … <c>daft_layer_4</c>,
/// all built as in the reference) after the configured ResNet stage(s) scales and shifts the EHR
/// hidden sequence between the first and second LSTM; the prediction is the EHR head
/// (<c>ehr_model.dense_layer</c>) on the modulated EHR feature (the CXR head is not used).
/// </summary>
internal sealed class DaftNetwork : StagewiseNetwork
{
    readonly DaftBlock[] blocks;

    /// <summary>Builds a randomly initialised network.</summary>
    public DaftNetwork(PeerConfig config) : base(nameof(DaftNetwork), config)
    {
        blocks = new DaftBlock[ResNet34Backbone.StageCount + 1];
        for (int s = 0; s < blocks.Length; s++)
            blocks[s] = Register($"daft_layer_{s}", new DaftBlock(ResNet34Backbone.ChannelsAfter(s), config.EhrHidden));
    }

    /// <inheritdoc/>
    protected override (Tensor Map, Tensor Sequence) Exchange(int stage, Tensor map, Tensor sequence, Tensor ehrSummary, ImagePresence? presence) =>
        (map, blocks[stage].Forward(map, sequence, ehrSummary, presence));

    /// <inheritdoc/>
    public override PeerOutput forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        var encoding = Encode(batch);
        var logits = EhrModel.DenseLayer.call(encoding.EhrFeature);
        return new PeerOutput(new FusionOutput(logits, logits.sigmoid(), encoding.EhrFeature, encoding.ImageFeatureOfEveryRow(batch.Size, logits.device), []), []);
    }
}
