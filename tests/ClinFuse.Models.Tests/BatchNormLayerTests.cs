using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary><see cref="BatchNormLayer"/> is TorchSharp's (and PyTorch's) BatchNorm, state dict and numbers.</summary>
public sealed class BatchNormLayerTests
{
    public BatchNormLayerTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    public static TheoryData<int> Ranks => new() { 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Ranks))]
    public void Matches_torchsharps_batch_norm_in_training_and_eval_with_the_same_state_dict(int rank)
    {
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> expected = rank == 4 ? nn.BatchNorm2d(6) : nn.BatchNorm1d(6);
        using var actual = rank == 4 ? BatchNormLayer.Over2d(6) : BatchNormLayer.Over1d(6);
        Assert.Equal(StateDictOrder.Entries(expected).Select(e => e.Key), StateDictOrder.Entries(actual).Select(e => e.Key));
        // Learned affine parameters, so that the test also covers weight and bias.
        using (no_grad())
        {
            expected.parameters().First().copy_(linspace(0.5, 1.5, 6));
            actual.parameters().First().copy_(linspace(0.5, 1.5, 6));
        }

        var generator = new Generator(7);
        long[] shape = rank switch { 2 => [5, 6], 3 => [5, 6, 4], _ => [5, 6, 3, 4] };
        for (int step = 0; step < 3; step++)
        {
            var input = randn(shape, generator: generator) * 2 + step;
            var gradIn = input.detach().requires_grad_();
            var gradInExpected = input.detach().requires_grad_();
            var y = actual.call(gradIn);
            var yExpected = expected.call(gradInExpected);
            Assert.Equal(yExpected.data<float>().ToArray(), y.data<float>().ToArray());
            y.sum().backward();
            yExpected.sum().backward();
            Assert.Equal(gradInExpected.grad!.data<float>().ToArray(), gradIn.grad!.data<float>().ToArray());
        }
        var expectedState = expected.state_dict();
        foreach (var (name, value) in actual.state_dict())
            Assert.Equal(expectedState[name].to_type(ScalarType.Float64).data<double>().ToArray(), value.to_type(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal(3L, actual.state_dict()["num_batches_tracked"].item<long>());

        expected.eval();
        actual.eval();
        var test = randn(shape, generator: generator);
        Assert.Equal(expected.call(test).data<float>().ToArray(), actual.call(test).data<float>().ToArray());
        Assert.Equal(3L, actual.state_dict()["num_batches_tracked"].item<long>());
    }

    [Fact]
    public void After_a_move_to_another_type_it_normalises_and_counts_with_the_moved_tensors()
    {
        using var layer = BatchNormLayer.Over2d(3);
        layer.to(ScalarType.Float64);
        using var input = randn(4, 3, 2, 2, dtype: ScalarType.Float64, generator: new Generator(3)) + 5;
        using var output = layer.call(input);
        Assert.Equal(ScalarType.Float64, output.dtype);
        var state = layer.state_dict();
        Assert.Equal(ScalarType.Float64, state["running_mean"].dtype);
        Assert.Equal(1L, state["num_batches_tracked"].item<long>());
        // The running mean moved a tenth of the way (momentum 0.1) towards the batch mean, about 5.
        Assert.All(state["running_mean"].data<double>().ToArray(), m => Assert.InRange(m, 0.3, 0.7));
    }

    [Fact]
    public void An_input_of_the_wrong_rank_is_refused()
    {
        using var layer = BatchNormLayer.Over2d(3);
        using var input = zeros(2, 3);
        var error = Assert.Throws<ArgumentException>(() => layer.call(input));
        Assert.Contains("4-dimensional", error.Message, StringComparison.Ordinal);
    }
}
