using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>
/// One dynamic affine feature-map transform (Pölsterl et al., MICCAI 2021; MedFuse's <c>DAFTBlock</c>
/// with scale and shift and the linear activation): the pooled image map and the EHR summary,
/// concatenated, through <c>aux</c> = Linear(C + H → bottleneck, no bias) → ReLU → Linear(→ 2H, no bias),
/// split into a scale and a shift of the EHR hidden sequence, broadcast over time.
/// </summary>
internal sealed class DaftBlock : Module
{
    readonly Sequential aux;
    readonly int ehrWidth;

    /// <summary>The reference bottleneck for <paramref name="imageChannels"/> channels: ⌊(16 + C)/7⌋.</summary>
    public static int Bottleneck(int imageChannels) => (16 + imageChannels) / 7;

    /// <summary>A block for <paramref name="imageChannels"/> image channels modulating <paramref name="ehrWidth"/> EHR features.</summary>
    public DaftBlock(int imageChannels, int ehrWidth) : base(nameof(DaftBlock))
    {
        this.ehrWidth = ehrWidth;
        int bottleneck = Bottleneck(imageChannels);
        aux = Sequential(
            ("aux_base", Linear(imageChannels + ehrWidth, bottleneck, hasBias: false)),
            ("aux_relu", ReLU()),
            ("aux_out", Linear(bottleneck, 2 * ehrWidth, hasBias: false)));
        register_module(nameof(aux), aux);
    }

    /// <summary>
    /// scale · sequence + shift, [B, T, H]. With a <paramref name="presence"/>, absent samples enter with
    /// a zero image summary and keep their sequence (scale 1, shift 0).
    /// </summary>
    public Tensor Forward(Tensor map, Tensor sequence, Tensor ehrSummary, ImagePresence? presence)
    {
        var pooled = map.mean([2, 3]);
        if (presence is not null) pooled = presence.Scatter(pooled);
        var film = aux.call(cat([pooled, ehrSummary], 1));
        var scale = film.narrow(1, 0, ehrWidth);
        var shift = film.narrow(1, ehrWidth, ehrWidth);
        if (presence is not null)
        {
            scale = presence.KeepPresent(scale, 1);
            shift = presence.KeepPresent(shift, 0);
        }
        return scale.unsqueeze(1) * sequence + shift.unsqueeze(1);
    }
}
