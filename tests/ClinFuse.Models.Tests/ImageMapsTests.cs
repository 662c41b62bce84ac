using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Tests.Peers;
using ClinFuse.Models.Tests.Baselines;
using ClinFuse.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>
/// The image encoders' layout and precision levers: channels-last computes what channels-first does
/// (forward, gradients, BatchNorm statistics), bfloat16 stays close to float32 and trains the float32
/// weights, and bfloat16 is refused where the CPU would only emulate it.
/// </summary>
[Collection(GlobalTorchRandomness.Name)]
public sealed class ImageMapsTests
{
    public ImageMapsTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    static readonly ImageMaps ChannelsLast = new(ImageLayout.ChannelsLast, false);
    static readonly ImageMaps BFloat16 = new(ImageLayout.ChannelsLast, true);

    /// <summary>Two backbones with the same random weights, one per set of maps.</summary>
    static (ResNet34Backbone Reference, ResNet34Backbone Other) Pair(int seed, ImageMaps other)
    {
        manual_seed(seed);
        var reference = new ResNet34Backbone { Maps = ImageMaps.ChannelsFirst };
        var copy = new ResNet34Backbone { Maps = other };
        copy.load_state_dict(reference.state_dict());
        return (reference, copy);
    }

    /// <summary>max |a − b| relative to max |a|.</summary>
    static double RelativeError(Tensor a, Tensor b) =>
        (a.to(ScalarType.Float32) - b.to(ScalarType.Float32)).abs().max().item<float>() / Math.Max(a.abs().max().item<float>(), 1e-12);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Channels_last_matches_channels_first_in_a_training_step_and_in_eval(int seed)
    {
        using var scope = NewDisposeScope();
        var (first, last) = Pair(seed, ChannelsLast);
        var images = randn(2, 3, 64, 64);
        first.train();
        last.train();
        var trace = new List<Tensor>();
        var a = first.call(images);
        var b = last.Forward(images, trace);
        Assert.True(RelativeError(a, b) < 1e-4, $"train feature: {RelativeError(a, b)}");
        // Every map after the input conversion is channels-last; the feature is an ordinary [N, 512].
        Assert.All(trace, map => Assert.True(ImageMaps.IsChannelsLast(map)));
        Assert.Equal([2L, 512L], b.shape);
        a.square().sum().backward();
        b.square().sum().backward();
        var lastParameters = last.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in first.named_parameters())
            Assert.True(RelativeError(parameter.grad!, lastParameters[name].grad!) < 1e-3, $"{name}.grad: {RelativeError(parameter.grad!, lastParameters[name].grad!)}");
        var lastBuffers = last.named_buffers().ToDictionary(p => p.name, p => p.buffer);
        foreach (var (name, buffer) in first.named_buffers().Where(b => b.buffer.is_floating_point()))
            Assert.True(RelativeError(buffer, lastBuffers[name]) < 1e-4, $"{name}: {RelativeError(buffer, lastBuffers[name])}");

        first.eval();
        last.eval();
        using var _ = no_grad();
        Assert.True(RelativeError(first.call(images), last.call(images)) < 1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Bfloat16_convolutions_stay_within_a_few_percent_of_float32_and_train_the_float32_weights(int seed)
    {
        using var scope = NewDisposeScope();
        var (reference, half) = Pair(seed, BFloat16);
        var images = randn(4, 3, 64, 64);
        // Eval mode: a fixed function of the input, so the difference is bfloat16's rounding alone. (In
        // training mode a randomly initialised ResNet's batch statistics amplify any perturbation: a
        // 0.3 % float32 input noise moves its feature by ~3 %, so that mode checks only where gradients go.)
        reference.eval();
        half.eval();
        var a = reference.call(images);
        var b = half.call(images);
        Assert.Equal(ScalarType.Float32, b.dtype);
        double featureError = (a - b).norm().item<float>() / a.norm().item<float>();
        Assert.True(featureError < 0.05, $"feature: ‖a − b‖ / ‖a‖ = {featureError}"); // observed 1.1–1.3 %
        var direction = randn(a.shape);
        (a * direction).sum().backward();
        (b * direction).sum().backward();
        var halfParameters = half.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in reference.named_parameters())
        {
            var grad = halfParameters[name].grad!;
            Assert.Equal(ScalarType.Float32, halfParameters[name].dtype);
            Assert.Equal(ScalarType.Float32, grad.dtype);
            // The same descent direction (observed ≥ 0.97).
            double cosine = (parameter.grad! * grad).sum().item<float>() / (parameter.grad!.norm().item<float>() * grad.norm().item<float>());
            Assert.True(cosine > 0.9, $"{name}.grad cosine {cosine}");
        }

        half.train();
        half.zero_grad();
        half.call(images).sum().backward();
        Assert.All(half.parameters(), p => Assert.True(p.grad is { } g && g.dtype == ScalarType.Float32 && g.isfinite().all().item<bool>() && g.abs().sum().item<float>() > 0));
    }

    [Theory]
    [InlineData(PeerKind.Mmtm, "mmtm")]
    [InlineData(PeerKind.Daft, "daft")]
    public void Stagewise_peers_train_with_bfloat16_maps_and_predict_close_to_float32(PeerKind kind, string model)
    {
        using var scope = NewDisposeScope();
        var batch = PeerGolden.Batch();
        using var network = PeerGolden.Network(model, PeerGolden.Reference(kind, layerAfter: -1, ehrDropout: 0));
        network.eval();
        Tensor Probabilities() { using var _ = no_grad(); return network.call(batch).Main.Probabilities; }
        var reference = Probabilities();
        network.CxrModel.VisionBackbone.Maps = BFloat16;
        // The stage maps the exchange blocks receive are float32, so their float32 layers take them.
        Assert.True(PeerGolden.MaxDiff(Probabilities(), reference) < 0.02);
        network.train();
        network.call(batch).Main.Probabilities.sum().backward();
        Assert.All(network.CxrModel.VisionBackbone.parameters(), p => Assert.True(p.grad is { } g && g.dtype == ScalarType.Float32 && g.isfinite().all().item<bool>()));
    }

    [Fact]
    public void The_vit_patch_embedding_gives_the_same_tokens_in_either_layout()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var config = new VitConfig(32, 16, 2, 3, 12, 24);
        using var first = new VisionTransformer(config) { Maps = ImageMaps.ChannelsFirst };
        using var last = new VisionTransformer(config) { Maps = ChannelsLast };
        last.load_state_dict(first.state_dict());
        first.eval();
        last.eval();
        using var _ = no_grad();
        var images = randn(3, 3, 32, 32);
        Assert.True(RelativeError(first.call(images), last.call(images)) < 1e-5);
    }

    [Fact]
    public void Bfloat16_is_refused_on_a_cpu_without_native_support_and_never_chosen_unasked()
    {
        var asked = new ComputeSettings(2, ImagePrecision: ImagePrecision.BFloat16);
        var error = Assert.Throws<ClinFuseException>(() => TorchRuntime.ResolveImageMaps(asked, []));
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("neither AVX512-BF16 nor AMX-BF16", error.Message);
        Assert.Contains("clinfuse info", error.Hint);
        Assert.True(TorchRuntime.ResolveImageMaps(asked, ["AVX512-BF16"]).BFloat16);
        Assert.False(TorchRuntime.ResolveImageMaps(new ComputeSettings(2), ["AVX512-BF16", "AMX-BF16"]).BFloat16);
        Assert.Equal(ImageLayout.ChannelsFirst, TorchRuntime.ResolveImageMaps(new ComputeSettings(2, ImageLayout: ImageLayout.ChannelsFirst), []).Layout);
    }

    [Theory]
    [InlineData(ImageLayout.Auto, false, true, false)]
    [InlineData(ImageLayout.Auto, true, true, true)]
    [InlineData(ImageLayout.ChannelsLast, false, true, true)]
    [InlineData(ImageLayout.ChannelsFirst, true, false, false)]
    public void The_layout_follows_the_setting_and_auto_keeps_float32_training_channels_first(ImageLayout layout, bool bf16, bool inInference, bool inTraining)
    {
        var maps = new ImageMaps(layout, bf16);
        Assert.Equal(inInference, maps.ChannelsLastWhen(training: false));
        Assert.Equal(inTraining, maps.ChannelsLastWhen(training: true));
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 8, 8);
        var input = maps.Input(images, training: true);
        Assert.Equal(inTraining, ImageMaps.IsChannelsLast(input));
        Assert.Equal(bf16 ? ScalarType.BFloat16 : ScalarType.Float32, input.dtype);
        Assert.True(input.to(ScalarType.Float32).allclose(images, rtol: bf16 ? 1e-2 : 0, atol: 0));
        Assert.Equal(ImageLayout.Auto, new ComputeSettings(2).ImageLayout);
    }

    [Fact]
    public void Bfloat16_features_are_read_from_the_cpu_flags()
    {
        using var dir = Fixtures.TempFolder();
        string withBoth = Path.Combine(dir.Path, "both"), without = Path.Combine(dir.Path, "none");
        File.WriteAllText(withBoth, "processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_bf16 avx512_bf16 avx512_vnni\n\nprocessor\t: 1\nflags\t\t: fpu\n");
        File.WriteAllText(without, "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16x\n");
        Assert.Equal(["AVX512-BF16", "AMX-BF16"], TorchRuntime.ReadBFloat16Features(withBoth));
        Assert.Empty(TorchRuntime.ReadBFloat16Features(without));
        Assert.Empty(TorchRuntime.ReadBFloat16Features(Path.Combine(dir.Path, "missing")));
    }
}
