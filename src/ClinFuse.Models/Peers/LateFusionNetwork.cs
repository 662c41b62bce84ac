using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Models.Peers;

/// <summary>
/// Late fusion: the uni-EHR and uni-CXR heads trained side by side (auxiliary outputs <c>ehr_only</c>,
/// <c>cxr_only</c>), the prediction their per-class weighted average w_c·p_EHR + (1 − w_c)·p_CXR with
/// the weights in the buffer <c>late_weights</c> (chosen on validation by the trainer; 0.5 until then).
/// A sample without an image gets the EHR prediction in the masked mode, the average with the
/// zero image's CXR prediction in the zero-image mode.
/// </summary>
public sealed class LateFusionNetwork : PeerNetwork
{
    readonly Tensor late_weights;

    /// <summary>Builds a randomly initialised network.</summary>
    public LateFusionNetwork(PeerConfig config) : base(nameof(LateFusionNetwork), config)
    {
        late_weights = full(config.NumClasses, 0.5f);
        register_buffer(nameof(late_weights), late_weights);
    }

    /// <summary>The per-class EHR weights w_c [C].</summary>
    public float[] Weights => late_weights.cpu().data<float>().ToArray();

    /// <summary>Sets the per-class EHR weights, each in [0, 1].</summary>
    public void SetWeights(IReadOnlyList<float> weights)
    {
        if (weights.Count != Config.NumClasses || weights.Any(w => !(w is >= 0 and <= 1)))
            throw new ArgumentException($"Late-fusion weights must be {Config.NumClasses} values in [0, 1].", nameof(weights));
        using var _ = no_grad();
        late_weights.copy_(tensor(weights.ToArray()));
    }

    /// <inheritdoc/>
    public override PeerOutput forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        var ehrFeature = EhrModel.Encode(batch.Ehr, batch.Lengths);
        var ehr = EhrModel.DenseLayer.call(ehrFeature).sigmoid();
        var auxiliary = new List<AuxiliaryHead> { new("ehr_only", ehr, null) };
        var (images, presence) = CnnInput(batch);
        var combined = ehr;
        Tensor? imageFeature = null;
        if (images is not null)
        {
            imageFeature = CxrModel.call(images);
            var cxr = CxrModel.Classifier.call(imageFeature).sigmoid();
            auxiliary.Add(new("cxr_only", cxr, presence?.Rows));
            var w = late_weights.unsqueeze(0);
            var cxrEveryRow = presence is null ? cxr : presence.Scatter(cxr);
            combined = w * ehr + (1 - w) * cxrEveryRow;
            if (presence is not null) combined = combined.where(presence.Mask.unsqueeze(1), ehr);
            if (presence is not null) imageFeature = presence.Scatter(imageFeature);
        }
        return new PeerOutput(new FusionOutput(Logit(combined), combined, ehrFeature, imageFeature, []), auxiliary, TrainMain: false);
    }
}
