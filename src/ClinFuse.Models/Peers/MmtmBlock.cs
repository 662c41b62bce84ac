using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>
/// One multimodal transfer module (Joze et al., CVPR 2020; MedFuse's <c>MMTM</c>): the image map's
/// spatial mean and the EHR summary, concatenated, through <c>fc_squeeze</c> (C + H → ⌊2(C + H)/ratio⌋)
/// and ReLU, then two sigmoid gates — <c>fc_visual</c> rescales the image channels, <c>fc_skeleton</c>
/// the EHR features at every time step.
/// </summary>
internal sealed class MmtmBlock : Module
{
    readonly Linear fc_squeeze, fc_visual, fc_skeleton;

    /// <summary>A block for <paramref name="visualChannels"/> image channels and <paramref name="ehrWidth"/> EHR features.</summary>
    public MmtmBlock(int visualChannels, int ehrWidth, int ratio) : base(nameof(MmtmBlock))
    {
        int dim = visualChannels + ehrWidth, squeezed = 2 * dim / ratio;
        fc_squeeze = Linear(dim, squeezed);
        fc_visual = Linear(squeezed, visualChannels);
        fc_skeleton = Linear(squeezed, ehrWidth);
        register_module(nameof(fc_squeeze), fc_squeeze);
        register_module(nameof(fc_visual), fc_visual);
        register_module(nameof(fc_skeleton), fc_skeleton);
    }

    /// <summary>
    /// The gated map [N, C, h, w] and sequence [B, T, H]. With a <paramref name="presence"/>, absent
    /// samples enter the squeeze with a zero image summary and keep their EHR sequence unchanged.
    /// </summary>
    public (Tensor Map, Tensor Sequence) Forward(Tensor map, Tensor sequence, Tensor ehrSummary, ImagePresence? presence)
    {
        var visual = map.mean([2, 3]);
        if (presence is not null) visual = presence.Scatter(visual);
        var excitation = functional.relu(fc_squeeze.call(cat([visual, ehrSummary], 1)));
        var visualGate = fc_visual.call(excitation).sigmoid();
        var ehrGate = fc_skeleton.call(excitation).sigmoid();
        if (presence is not null)
        {
            visualGate = visualGate.index_select(0, presence.Rows);
            ehrGate = presence.KeepPresent(ehrGate, 1);
        }
        return (map * visualGate.unsqueeze(2).unsqueeze(3), sequence * ehrGate.unsqueeze(1));
    }
}
