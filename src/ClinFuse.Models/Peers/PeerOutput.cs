using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using static TorchSharp.torch;

namespace ClinFuse.Models.Peers;

/// <summary>A unimodal head a peer model also trains (MMTM's <c>ehr_only</c>/<c>cxr_only</c>, late fusion's two heads).</summary>
/// <param name="Name">The reference's output key (<c>ehr_only</c>, <c>cxr_only</c>).</param>
/// <param name="Probabilities">[R, C] sigmoid outputs of the R rows it predicts.</param>
/// <param name="Rows">Batch rows of those predictions (int64 [R]), or null for every row.</param>
public sealed record AuxiliaryHead(string Name, Tensor Probabilities, Tensor? Rows);

/// <summary>What a peer network's forward pass produced.</summary>
/// <param name="Main">The model's prediction (what evaluation scores).</param>
/// <param name="Auxiliary">Unimodal heads trained with plain BCE next to the main prediction.</param>
/// <param name="TrainMain">Whether the training loss includes the main prediction (late fusion's average has no weights to train).</param>
/// <param name="Penalty">Terms of the objective beyond the predictions' losses, given the labels (DrFuse's disentanglement and attention ranking), or null.</param>
public sealed record PeerOutput(FusionOutput Main, IReadOnlyList<AuxiliaryHead> Auxiliary, bool TrainMain = true, Func<Tensor, Tensor>? Penalty = null)
{
    /// <summary>
    /// The training objective: <paramref name="criterion"/> on the main prediction (when it is trained)
    /// plus plain BCE of each auxiliary head on its rows' labels, plus the <see cref="Penalty"/>.
    /// </summary>
    public Tensor Objective(FusionLoss criterion, Tensor labels)
    {
        Tensor? total = TrainMain ? criterion.Compute(Main.Probabilities, labels).Total : null;
        foreach (var head in Auxiliary)
        {
            if (head.Probabilities.shape[0] == 0) continue;
            var target = head.Rows is null ? labels : labels.index_select(0, head.Rows);
            var bce = nn.functional.binary_cross_entropy(head.Probabilities, target);
            total = total is null ? bce : total + bce;
        }
        if (Penalty is not null && total is not null) total += Penalty(labels);
        return total ?? throw new ClinFuseException("The model produced no trainable output for this batch.", "Train late fusion on batches with images or in the zero-image mode.");
    }
}
