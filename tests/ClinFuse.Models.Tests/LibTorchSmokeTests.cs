using ClinFuse.Core;
using ClinFuse.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>libtorch loads from the build output and the two encoder families run on the CPU.</summary>
public sealed class LibTorchSmokeTests
{
    public LibTorchSmokeTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    [Fact]
    public void Runtime_reports_libtorch_loaded()
    {
        var status = TorchRuntime.Probe(new ComputeSettings(1));
        Assert.True(status.Loaded, status.Error);
        Assert.Equal(1, status.Threads);
        Assert.Contains("cpu", status.Devices);
    }

    [Fact]
    public void A_cuda_device_this_libtorch_cannot_see_is_an_environment_error_that_names_the_fix()
    {
        var status = TorchRuntime.Probe(new ComputeSettings(1));
        if (status.Devices.Contains("cuda:0"))
        {
            Assert.Equal("cuda:0", TorchRuntime.DeviceOf(new ComputeSettings(1, "cuda:0")).ToString());
            return;
        }
        var error = Assert.Throws<ClinFuseException>(() => TorchRuntime.Initialize(new ComputeSettings(1, "cuda")));
        Assert.Equal(ExitCodes.Environment, error.ExitCode);
        Assert.Contains("no CUDA device", error.Message);
        Assert.Contains("--device cpu", error.Hint);
        Assert.Equal(DeviceType.CPU, TorchRuntime.DeviceOf(new ComputeSettings(1)).type);
    }

    [Fact]
    public void Lstm_forward_and_backward_produce_finite_gradients_for_every_parameter()
    {
        torch.manual_seed(7);
        using var scope = NewDisposeScope();
        using var lstm = nn.LSTM(76, 32, numLayers: 2, batchFirst: true);
        var x = randn(4, 48, 76);
        var (output, hn, _) = lstm.forward(x);
        Assert.Equal(new long[] { 4, 48, 32 }, output.shape);
        Assert.Equal(new long[] { 2, 4, 32 }, hn.shape);
        // The last time step of the top layer is the layer's final hidden state.
        Assert.True(output[.., -1, ..].allclose(hn[-1]));

        output.pow(2).mean().backward();
        var parameters = lstm.named_parameters().ToList();
        Assert.Equal(8, parameters.Count); // weight_ih, weight_hh, bias_ih, bias_hh per layer
        foreach (var (name, p) in parameters)
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.isfinite().all().item<bool>(), $"{name} has a non-finite gradient");
            Assert.True(p.grad.abs().sum().item<float>() > 0, $"{name} has an all-zero gradient");
        }
    }

    [Fact]
    public void ResNet34_forward_on_a_64px_image_gives_one_logit_row_per_sample()
    {
        torch.manual_seed(7);
        using var scope = NewDisposeScope();
        using var net = torchvision.models.resnet34(num_classes: 14);
        net.eval();
        using var _ = no_grad();
        var logits = net.forward(randn(2, 3, 64, 64));
        Assert.Equal(new long[] { 2, 14 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        // 21.3 M parameters: torchvision's ResNet-34 with a 14-way head.
        long count = net.parameters().Sum(p => p.numel());
        Assert.Equal(21_291_854L, count);
    }
}
