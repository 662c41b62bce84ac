using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Baselines;

/// <summary>The ViT against torchvision: names, order, parameter count and a forward pass.</summary>
[Collection(GlobalTorchRandomness.Name)]
public sealed class VisionTransformerTests
{
    public VisionTransformerTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    static readonly VitConfig Tiny = new(32, 16, 2, 3, 12, 24);

    [Fact]
    public void Torchvision_weights_load_one_to_one_and_reproduce_its_feature_and_logits()
    {
        using var scope = NewDisposeScope();
        var path = Fixtures.Path("baselines", "vit_tiny.safetensors");
        var (tensors, _) = SafeTensors.Read(path);
        var weights = tensors.Where(t => !t.Key.StartsWith("golden.", StringComparison.Ordinal)).ToList();
        var golden = tensors.Where(t => t.Key.StartsWith("golden.", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value);
        using var vit = new VisionTransformer(Tiny, numClasses: 4);
        // Same names in the same order as torchvision's state_dict().
        Assert.Equal(weights.Select(w => w.Key), StateDictOrder.Entries(vit).Select(e => e.Key));
        var report = StateDictImport.Load(vit, weights, path, strict: true);
        Assert.Empty(report.Ignored);
        vit.eval();
        using var _ = no_grad();
        var feature = vit.call(golden["golden.input"]);
        var logits = vit.Classify(golden["golden.input"]);
        Assert.True(feature.allclose(golden["golden.feature"], rtol: 1e-4, atol: 1e-5), $"max |Δ| {(feature - golden["golden.feature"]).abs().max().item<float>()}");
        Assert.True(logits.allclose(golden["golden.logits"], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Vit_base_16_has_torchvisions_parameter_count()
    {
        using var scope = NewDisposeScope();
        using var vit = new VisionTransformer(VitConfig.Base16, numClasses: 1000);
        // torchvision.models.vit_b_16(): 86,567,656 parameters.
        Assert.Equal(86_567_656L, vit.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Features_have_the_hidden_width_and_a_wrong_image_size_is_a_clear_error()
    {
        using var scope = NewDisposeScope();
        using var vit = new VisionTransformer(Tiny);
        Assert.Equal(new long[] { 3, 12 }, vit.call(randn(3, 3, 32, 32)).shape);
        var error = Assert.Throws<ClinFuseException>(() => vit.call(randn(1, 3, 64, 64)));
        Assert.Contains("[N,3,32,32]", error.Message);
        Assert.Throws<InvalidOperationException>(() => vit.Classify(randn(1, 3, 32, 32)));
        Assert.Throws<ClinFuseException>(() => new VisionTransformer(Tiny with { PatchSize = 10 }));
    }
}
