using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>The network's state dict is the reference's, entry by entry, and the formula reproduces the golden weights.</summary>
public sealed class WeightFormulaTests
{
    public WeightFormulaTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    [Theory]
    [InlineData(0, 0, 0.7666215896606445)]
    [InlineData(0, 1, 0.13312304019927979)]
    [InlineData(1, 0, 0.5326035022735596)]
    [InlineData(10, 9407, -0.5708993673324585)]
    [InlineData(263, 2047, -0.8668912649154663)]
    public void Splitmix_values_match_the_published_test_vectors(long k, long j, double expected) =>
        Assert.Equal(expected, GoldenWeights.V(k, j));

    [Fact]
    public void State_dict_has_the_reference_names_shapes_and_order_and_formula_checksums_match()
    {
        var network = Golden.Shared(ModelKind.Attention);
        var keys = Golden.Keys();
        var entries = StateDictOrder.Entries(network);
        Assert.Equal(network.state_dict().Count, entries.Count);
        Assert.Equal(keys.Select(k => k.Name), entries.Select(e => e.Key));
        for (int i = 0; i < keys.Count; i++)
        {
            var (name, tensor) = entries[i];
            Assert.Equal(keys[i].Shape, tensor.shape);
            Assert.Equal(keys[i].DType == "int64" ? ScalarType.Int64 : ScalarType.Float32, tensor.dtype);
            var flat = tensor.to(ScalarType.Float64).flatten();
            var values = flat.data<double>().ToArray();
            for (int j = 0; j < Math.Min(3, values.Length); j++)
                Assert.True(keys[i].First3[j] == (float)values[j], $"{name}[{j}]: {values[j]} != {keys[i].First3[j]}");
            double sum = 0, sumSq = 0;
            foreach (var v in values) { sum += v; sumSq += v * v; }
            Assert.True(Math.Abs(sum - keys[i].Sum) <= 1e-12 * Math.Max(1, Math.Abs(keys[i].SumSq)), $"{name}: sum {sum} != {keys[i].Sum}");
            Assert.True(Math.Abs(sumSq - keys[i].SumSq) <= 1e-12 * Math.Max(1, keys[i].SumSq), $"{name}: sum of squares {sumSq} != {keys[i].SumSq}");
        }
    }

    [Fact]
    public void Reference_safetensors_imports_bit_exactly_into_the_mortality_heads()
    {
        using var scope = NewDisposeScope();
        var network = new FusionNetwork(ModelConfig.Reference(ModelKind.Attention, 1));
        var (tensors, metadata) = SafeTensors.Read(Fixtures.Path("model", "weights_ihm_heads.safetensors"));
        Assert.Equal(10, tensors.Count);
        Assert.Contains("k", metadata.Keys);
        var report = StateDictImport.Load(network, tensors, "weights_ihm_heads.safetensors", strict: false);
        Assert.Equal(10, report.Loaded.Count);
        Assert.Empty(report.Ignored);
        var ihmKeys = Golden.Keys("keys_ihm.txt").ToDictionary(k => k.Name);
        var state = network.state_dict();
        foreach (var (name, _) in tensors)
        {
            var key = ihmKeys[name];
            var rule = GoldenWeights.Rule(name, key.Shape)!.Value;
            var expected = GoldenWeights.Values(key.K, key.Shape.Aggregate(1L, (a, s) => a * s), rule.A, rule.B);
            Assert.Equal(expected, state[name].flatten().data<float>().ToArray());
        }
    }

    [Theory]
    [InlineData(ModelKind.UniEhr, 10)]
    [InlineData(ModelKind.MedFuseLstm, 10 + 218 + 2 + 2 + 4)]
    [InlineData(ModelKind.Attention, 10 + 218 + 2 + 24 + 2)]
    public void Compact_layout_keeps_only_the_used_modules_under_the_reference_names(ModelKind fusion, int entries)
    {
        using var network = new FusionNetwork(ModelConfig.Reference(fusion, 25) with { OnlyUsedModules = true });
        var names = network.state_dict().Keys.ToList();
        Assert.Equal(entries, names.Count);
        Assert.Subset(Golden.Keys().Select(k => k.Name).ToHashSet(), names.ToHashSet());
        if (fusion == ModelKind.UniEhr) Assert.Throws<InvalidOperationException>(() => network.CxrModel);
    }
}
