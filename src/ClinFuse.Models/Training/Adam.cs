using TorchSharp;
using static TorchSharp.torch;

namespace ClinFuse.Models.Training;

/// <summary>
/// ClinFuse's Adam: TorchSharp's <see cref="TorchSharp.Modules.Adam"/> with a step that holds every
/// scalar it passes to libtorch until the call returns. The same update to the bit, the same parameter
/// groups and options, and the same saved state: the class keeps the name <c>Adam</c> because
/// TorchSharp writes it into the optimizer file, so either class loads the other's file.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's Adam step passes about eight temporary scalars per parameter per step
/// (<c>mul_(β)</c>, <c>add_(grad, 1 − β)</c>, <c>add_(ε)</c> with its implicit alpha 1, ...) by handle
/// without keeping them alive, so a garbage collection during a call can free one before libtorch
/// reads it (see <see cref="HeldScalars"/>); in long trainings that ended runs with "Expected false to
/// be true" from <c>THSTensor_add_scalar_</c>. Weight decay, AMSGrad and maximisation are not used
/// by ClinFuse and are refused.
/// </remarks>
public sealed class Adam : TorchSharp.Modules.Adam
{
    /// <summary>Adam over <paramref name="groups"/>; options a group leaves unset take these defaults.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps)
        : base(groups, lr, beta1, beta2, eps)
    {
        foreach (var group in ParamGroups.Cast<ParamGroup>())
        {
            var options = (Options)group.Options;
            if (options.weight_decay is not (null or 0.0) || options.amsgrad == true || options.maximize == true)
                throw new ArgumentException("ClinFuse's Adam implements plain Adam: weight decay, AMSGrad and maximize are not supported.", nameof(groups));
        }
    }

    /// <summary>One Adam update of every parameter that has a gradient (parameters without one are skipped, as in PyTorch).</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, lr = options.LearningRate!.Value;
        using var decay1 = beta1.ToScalar();
        using var decay2 = beta2.ToScalar();
        using var keep1 = (1.0 - beta1).ToScalar();
        using var keep2 = (1.0 - beta2).ToScalar();
        using var eps = options.eps!.Value.ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            using var grad = parameter.grad;
            if (grad is null) continue;
            state.step++;
            double biasCorrection1 = 1.0 - Math.Pow(beta1, state.step);
            double biasCorrection2 = 1.0 - Math.Pow(beta2, state.step);
            state.exp_avg.mul_(decay1).add_(grad, keep1);
            state.exp_avg_sq.mul_(decay2).addcmul_(grad, grad, keep2);
            using var root2 = Math.Sqrt(biasCorrection2).ToScalar();
            using var stepSize = (0.0 - lr / biasCorrection1).ToScalar();
            using var denominator = state.exp_avg_sq.sqrt().div_(root2).add_(eps, HeldScalars.One);
            parameter.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure);
}
