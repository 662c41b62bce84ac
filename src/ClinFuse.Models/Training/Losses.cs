using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Training;

/// <summary>The training loss.</summary>
public enum LossKind
{
    /// <summary>Binary cross-entropy on probabilities, mean over all elements (the reference's <c>nn.BCELoss</c>).</summary>
    Bce,
    /// <summary>Per-label uncertainty weighting as the reference computes it: mean_k[e^{−s_k}·L_k + s_k/2].</summary>
    Uncertainty,
    /// <summary>The paper's written form: Σ_k[e^{−s_k}·L_k + s_k] (BCE/σ² + log σ², s = log σ²).</summary>
    UncertaintySummed,
}

/// <summary>A loss value and, for the uncertainty losses, its per-label parts.</summary>
/// <param name="Total">The scalar to back-propagate.</param>
/// <param name="PerLabelBce">[C] mean BCE of each label over the batch (L_k), or null for plain BCE.</param>
public sealed record LossParts(Tensor Total, Tensor? PerLabelBce);

/// <summary>
/// The training criterion. For the uncertainty losses it owns the learnable log-variances
/// <c>log_var</c> (one per label, starting at 0) — they are saved in checkpoints under <c>loss.log_var</c>.
/// </summary>
public sealed class FusionLoss : Module
{
    /// <summary>Which loss this is.</summary>
    public LossKind Kind { get; }

    /// <summary>[C] learnable log-variances s_k; null for plain BCE.</summary>
    public Parameter? LogVar => log_var;
    readonly Parameter? log_var;

    /// <summary>Creates the criterion for <paramref name="numLabels"/> labels.</summary>
    public FusionLoss(LossKind kind, int numLabels) : base(nameof(FusionLoss))
    {
        Kind = kind;
        if (kind != LossKind.Bce)
        {
            log_var = new Parameter(zeros(numLabels).DetachFromDisposeScope());
            register_parameter(nameof(log_var), log_var);
        }
    }

    /// <summary>Element-wise BCE on probabilities with PyTorch's clamp of each log at −100.</summary>
    public static Tensor ElementwiseBce(Tensor probabilities, Tensor targets) =>
        functional.binary_cross_entropy(probabilities, targets, reduction: Reduction.None);

    /// <summary>The loss of <paramref name="probabilities"/> [B, C] against <paramref name="targets"/> [B, C].</summary>
    public LossParts Compute(Tensor probabilities, Tensor targets)
    {
        if (log_var is null)
            return new LossParts(functional.binary_cross_entropy(probabilities, targets), null);
        var perLabel = ElementwiseBce(probabilities, targets).mean([0]);
        var weighted = (-log_var).exp() * perLabel;
        var total = Kind == LossKind.Uncertainty
            ? weighted.add(log_var, HeldScalars.Half).mean()
            : weighted.add(log_var, HeldScalars.One).sum();
        return new LossParts(total, perLabel);
    }
}
