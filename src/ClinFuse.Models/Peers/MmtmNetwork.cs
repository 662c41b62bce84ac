using ClinFuse.Models.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>
/// MedFuse's <c>FusionMMTM</c>: an <see cref="MmtmBlock"/> (<c>mmtm0</c> … <c>mmtm4</c>, one per
/// possible position, all built as in the reference) after the configured ResNet stage(s); the
/// prediction is <c>joint_cls</c>(concat(<c>projection</c>(EHR feature) 256 → 512, pooled image feature));
/// the uni-EHR and uni-CXR heads are trained alongside (auxiliary outputs <c>ehr_only</c>, <c>cxr_only</c>).
/// </summary>
internal sealed class MmtmNetwork : StagewiseNetwork
{
    readonly MmtmBlock[] blocks;
    readonly Sequential joint_cls;
    readonly Linear projection;

    /// <summary>Builds a randomly initialised network.</summary>
    public MmtmNetwork(PeerConfig config) : base(nameof(MmtmNetwork), config)
    {
        blocks = new MmtmBlock[ResNet34Backbone.StageCount + 1];
        for (int s = 0; s < blocks.Length; s++)
            blocks[s] = Register($"mmtm{s}", new MmtmBlock(ResNet34Backbone.ChannelsAfter(s), config.EhrHidden, config.MmtmRatio));
        joint_cls = Register(nameof(joint_cls), Sequential(Linear(2 * ResNet34Backbone.FeatureDim, config.NumClasses)));
        projection = Register(nameof(projection), Linear(config.EhrHidden, ResNet34Backbone.FeatureDim));
    }

    /// <inheritdoc/>
    protected override (Tensor Map, Tensor Sequence) Exchange(int stage, Tensor map, Tensor sequence, Tensor ehrSummary, ImagePresence? presence) =>
        blocks[stage].Forward(map, sequence, ehrSummary, presence);

    /// <inheritdoc/>
    public override PeerOutput forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        var encoding = Encode(batch);
        var ehr = encoding.EhrFeature;
        var image = encoding.ImageFeatureOfEveryRow(batch.Size, ehr.device);
        var logits = joint_cls.call(cat([projection.call(ehr), image], 1));
        var auxiliary = new List<AuxiliaryHead> { new("ehr_only", EhrModel.DenseLayer.call(ehr).sigmoid(), null) };
        if (encoding.ImageFeature is { } pooled)
            auxiliary.Add(new("cxr_only", CxrModel.Classifier.call(pooled).sigmoid(), encoding.Presence?.Rows));
        return new PeerOutput(new FusionOutput(logits, logits.sigmoid(), ehr, image, []), auxiliary);
    }
}
