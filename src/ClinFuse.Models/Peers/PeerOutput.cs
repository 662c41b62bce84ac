using ClinFuse.Models.Networks;
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
public sealed record PeerOutput(FusionOutput Main, IReadOnlyList<AuxiliaryHead> Auxiliary, bool TrainMain = true);
