using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ClinFuse.Models.Networks;

/// <summary>
/// Batch normalisation over the channel dimension, exactly PyTorch's <c>BatchNorm1d</c>/<c>BatchNorm2d</c>
/// with running statistics: the same parameters and buffers (<c>weight</c>, <c>bias</c>,
/// <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>, in that state-dict order), the
/// same initialisation (no random draw) and the same <c>batch_norm</c> call.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's own BatchNorm counts batches with <c>num_batches_tracked.add_(1)</c>, which passes
/// two temporary <see cref="Scalar"/> objects to libtorch by handle without keeping them alive. When a
/// garbage collection runs during that call, the finaliser thread can free a scalar that libtorch is
/// about to read: a 3,200-patient CXR pre-training died with "For integral input tensors, argument
/// alpha must not be a floating point number" (the freed integer 1 read as a double). This layer
/// counts with <see cref="HeldScalars.One"/>, held for the life of the process.
/// </remarks>
public sealed class BatchNormLayer : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight, bias;
    readonly Tensor running_mean, running_var, num_batches_tracked;
    readonly int[] inputRanks;
    readonly double eps, momentum;

    BatchNormLayer(long features, int[] inputRanks, double eps, double momentum) : base("BatchNorm")
    {
        this.inputRanks = inputRanks;
        this.eps = eps;
        this.momentum = momentum;
        // Detached from any dispose scope the network is built in: the module owns them, as TorchSharp's own modules do.
        weight = new Parameter(ones(features).DetachFromDisposeScope());
        bias = new Parameter(zeros(features).DetachFromDisposeScope());
        running_mean = zeros(features).DetachFromDisposeScope();
        running_var = ones(features).DetachFromDisposeScope();
        num_batches_tracked = tensor(0L).DetachFromDisposeScope();
        register_parameter(nameof(weight), weight);
        register_parameter(nameof(bias), bias);
        register_buffer(nameof(running_mean), running_mean);
        register_buffer(nameof(running_var), running_var);
        register_buffer(nameof(num_batches_tracked), num_batches_tracked);
    }

    /// <summary>PyTorch's <c>BatchNorm2d(features)</c>: input [N, C, H, W].</summary>
    public static BatchNormLayer Over2d(long features, double eps = 1e-5, double momentum = 0.1) => new(features, [4], eps, momentum);

    /// <summary>PyTorch's <c>BatchNorm1d(features)</c>: input [N, C] or [N, C, L].</summary>
    public static BatchNormLayer Over1d(long features, double eps = 1e-5, double momentum = 0.1) => new(features, [2, 3], eps, momentum);

    /// <summary>Normalises with the batch's statistics and updates the running ones in training mode; with the running ones in eval mode.</summary>
    public override Tensor forward(Tensor input)
    {
        if (!inputRanks.Contains((int)input.dim()))
            throw new ArgumentException($"BatchNorm expects a {string.Join(" or ", inputRanks)}-dimensional input, got {input.dim()} dimensions.", nameof(input));
        if (training) num_batches_tracked.add_(HeldScalars.One, HeldScalars.One);
        return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
    }
}
