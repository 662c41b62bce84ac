using ClinFuse.Models.Networks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.utils.rnn;

namespace ClinFuse.Models.Peers;

/// <summary>What the stage-wise pass computed.</summary>
/// <param name="EhrFeature">[B, H] last EHR layer's final hidden state, after dropout.</param>
/// <param name="ImageFeature">[N, 512] pooled map of each CNN image row, or null when no image ran.</param>
/// <param name="Presence">Where the image rows belong (null: every batch row).</param>
internal sealed record StagewiseEncoding(Tensor EhrFeature, Tensor? ImageFeature, ImagePresence? Presence)
{
    /// <summary>The image feature as a [B, 512] matrix, zero rows where no image ran.</summary>
    public Tensor ImageFeatureOfEveryRow(long batchSize, Device device) =>
        ImageFeature is null ? zeros(batchSize, ResNet34Backbone.FeatureDim, device: device)
        : Presence is null ? ImageFeature : Presence.Scatter(ImageFeature);
}

/// <summary>
/// The pass MMTM and DAFT share (the reference's <c>FusionMMTM.forward</c> / <c>FusionDAFT.forward</c>):
/// EHR <c>layer0</c> on the packed series, unpacked to [B, T_max, H]; the ResNet stem and stages, with
/// the model's block after the configured stages exchanging information between the image map and
/// that hidden sequence; then the remaining EHR layers on the re-packed sequence.
/// </summary>
internal abstract class StagewiseNetwork : PeerNetwork
{
    /// <summary>Builds the encoders.</summary>
    protected StagewiseNetwork(string name, PeerConfig config) : base(name, config) { }

    /// <summary>
    /// The block after ResNet stage <paramref name="stage"/> (0 = stem): the new image map and EHR
    /// hidden sequence from the old ones and <paramref name="ehrSummary"/> [B, H], the sequence's
    /// summary over time (<see cref="PeerConfig.Squeeze"/>).
    /// </summary>
    protected abstract (Tensor Map, Tensor Sequence) Exchange(int stage, Tensor map, Tensor sequence, Tensor ehrSummary, ImagePresence? presence);

    /// <summary>Runs the stage-wise pass on a batch.</summary>
    protected StagewiseEncoding Encode(FusionBatch batch)
    {
        var (images, presence) = CnnInput(batch);
        var (layer0, _, _) = EhrModel.Layer(0).call(pack_padded_sequence(batch.Ehr, batch.Lengths, batch_first: true, enforce_sorted: false));
        // Without total_length, as the reference: padded to the batch's longest stay.
        var sequence = pad_packed_sequence(layer0, batch_first: true).Item1;
        var backbone = CxrModel.VisionBackbone;
        Tensor? map = images is null ? null : backbone.Stem(images);
        for (int stage = 0; stage <= ResNet34Backbone.StageCount; stage++)
        {
            if (map is null) break;
            if (stage > 0) map = backbone.Stage(stage, map);
            if (Config.BlockAfter(stage))
                (map, sequence) = Exchange(stage, map, sequence, Summary(sequence, batch.Lengths), presence);
        }
        var packed = pack_padded_sequence(sequence, batch.Lengths, batch_first: true, enforce_sorted: false);
        Tensor hidden = empty(0);
        for (int i = 1; i < EhrModel.LayerCount; i++)
        {
            var (output, h, _) = EhrModel.Layer(i).call(packed);
            packed = output;
            hidden = h;
        }
        return new StagewiseEncoding(EhrModel.FeatureDropout.call(hidden.squeeze(0)), map is null ? null : ResNet34Backbone.Pool(map), presence);
    }

    /// <summary>The hidden sequence [B, T, H] summarised over time, as <see cref="PeerConfig.Squeeze"/> says.</summary>
    public Tensor Summary(Tensor sequence, Tensor lengths)
    {
        if (Config.Squeeze == TimeSqueeze.IncludingPadding) return sequence.mean([1]);
        var steps = lengths.to(sequence.device);
        var valid = arange(sequence.shape[1], device: sequence.device).unsqueeze(0).lt(steps.unsqueeze(1));
        return sequence.where(valid.unsqueeze(2), 0f).sum(1) / steps.unsqueeze(1).to(sequence.dtype);
    }
}
