using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>safetensors I/O, checkpoints with sidecar, PyTorch state-dict import, determinism.</summary>
public sealed class CheckpointTests
{
    public CheckpointTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    static ModelConfig Small(ModelKind fusion) => new(fusion, 3, 3, MissingImageMode.Masked, EhrInputDim: 5, EhrHidden: 16, TransformerHeads: 4, TransformerFeedForward: 32, FusionLstmHidden: 8);

    static FusionBatch SmallBatch(int seed)
    {
        var generator = new Generator((ulong)seed);
        var hasImage = tensor(new[] { true, false, true });
        return new FusionBatch(randn(3, 6, 5, generator: generator), tensor(new long[] { 6, 2, 4 }), randn(2, 3, 32, 32, generator: generator), hasImage, rand(3, 3, generator: generator).round());
    }

    [Fact]
    public void Safetensors_round_trip_is_exact_for_every_supported_dtype_and_keeps_order_and_metadata()
    {
        using var scope = NewDisposeScope();
        using var folder = Fixtures.TempFolder();
        var path = folder.Combine("t.safetensors");
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("z.f32", tensor(new[] { float.MinValue, -0f, float.Epsilon, float.NaN, 1.5f }).reshape(5, 1)),
            new("a.f64", tensor(new[] { Math.PI, double.MaxValue })),
            new("m.i64", tensor(new[] { long.MinValue, 0, long.MaxValue })),
            new("b.bool", tensor(new[] { true, false, true })),
            new("s.scalar", tensor(7L)),
            new("e.empty", zeros(0, 4)),
        };
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["what"] = "test" });
        var (read, metadata) = SafeTensors.Read(path);
        Assert.Equal("test", metadata["what"]);
        Assert.Equal(tensors.Select(t => t.Key), read.Select(t => t.Key));
        for (int i = 0; i < tensors.Count; i++)
        {
            Assert.Equal(tensors[i].Value.dtype, read[i].Value.dtype);
            Assert.Equal(tensors[i].Value.shape, read[i].Value.shape);
            Assert.Equal(tensors[i].Value.bytes.ToArray(), read[i].Value.bytes.ToArray());
        }
        long headerLength = BitConverter.ToInt64(File.ReadAllBytes(path), 0);
        Assert.Equal(0, headerLength % 8);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "shorter")]
    [InlineData(new byte[] { 255, 255, 0, 0, 0, 0, 0, 0, 123 }, "exceeds")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']' }, "not a JSON object")]
    public void Corrupt_safetensors_give_a_clear_error_naming_the_file(byte[] content, string reason)
    {
        using var folder = Fixtures.TempFolder();
        var path = folder.Combine("bad.safetensors");
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<ClinFuseException>(() => SafeTensors.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Checkpoint_round_trip_restores_identical_outputs_the_log_variances_and_the_sidecar()
    {
        using var scope = NewDisposeScope();
        using var folder = Fixtures.TempFolder();
        manual_seed(3);
        using var network = new FusionNetwork(Small(ModelKind.Attention));
        using var loss = new FusionLoss(LossKind.Uncertainty, 3);
        using (no_grad()) loss.LogVar!.copy_(tensor(new[] { 0.1f, -0.2f, 0.3f }));
        network.eval();
        var batch = SmallBatch(1);
        var expected = network.call(batch).Logits;
        var info = new CheckpointInfo(network.Config, LossKind.Uncertainty, ["a", "b", "c"], new JsonObject { ["means"] = new JsonArray(1.0, 2.0) },
            new Dictionary<string, double> { ["auroc_macro"] = 0.75 }, ProductInfo.Version, Epoch: 4);
        var path = folder.Combine("best.safetensors");
        Checkpoint.Save(path, network, loss, info);

        var restored = Checkpoint.Load(path);
        Assert.Equal(expected.data<float>().ToArray(), restored.Network.call(batch).Logits.data<float>().ToArray());
        Assert.Equal(loss.LogVar!.data<float>().ToArray(), restored.Loss.LogVar!.data<float>().ToArray());
        Assert.Equal(info.Config, restored.Info.Config);
        Assert.Equal(["a", "b", "c"], restored.Info.LabelNames);
        Assert.Equal(0.75, restored.Info.Metrics["auroc_macro"]);
        Assert.Equal(2.0, restored.Info.Normalizer!["means"]![1]!.GetValue<double>());
        Assert.Equal(4, restored.Info.Epoch);
        var (tensors, _) = SafeTensors.Read(path);
        Assert.Equal("ehr_model.layer0.weight_ih_l0", tensors[0].Key);
        Assert.Equal("loss.log_var", tensors[^1].Key);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp-*"));
    }

    [Fact]
    public void Loading_a_checkpoint_of_another_shape_or_without_sidecar_fails_with_a_hint()
    {
        using var scope = NewDisposeScope();
        using var folder = Fixtures.TempFolder();
        using var network = new FusionNetwork(Small(ModelKind.MedFuseLstm));
        using var loss = new FusionLoss(LossKind.Bce, 3);
        var path = folder.Combine("m.safetensors");
        Checkpoint.Save(path, network, loss, new CheckpointInfo(network.Config, LossKind.Bce, ["a", "b", "c"], null, new Dictionary<string, double>(), "0"));
        using var wider = new FusionNetwork(Small(ModelKind.MedFuseLstm) with { EhrHidden = 32 });
        var (tensors, _) = SafeTensors.Read(path);
        var mismatch = Assert.Throws<ClinFuseException>(() => StateDictImport.Load(wider, tensors, path, strict: true));
        Assert.Contains("shape", mismatch.Message);
        File.Delete(Checkpoint.SidecarPath(path));
        var missing = Assert.Throws<ClinFuseException>(() => Checkpoint.Load(path));
        Assert.Contains(".json", missing.Message);
    }

    [Fact]
    public void A_plain_torchvision_resnet_state_dict_maps_into_the_backbone_and_its_fc_is_ignored()
    {
        using var scope = NewDisposeScope();
        using var folder = Fixtures.TempFolder();
        var path = folder.Combine("resnet34.safetensors");
        var conv1 = randn(64, 3, 7, 7);
        var runningVar = rand(512) + 0.5;
        SafeTensors.Write(path, new Dictionary<string, Tensor>
        {
            ["conv1.weight"] = conv1,
            ["module.layer4.2.bn2.running_var"] = runningVar,
            ["fc.weight"] = randn(1000, 512),
        });
        using var network = new FusionNetwork(ModelConfig.Reference(ModelKind.UniCxr, 14));
        var report = StateDictImport.Load(network, SafeTensors.Read(path).Tensors, path, strict: false);
        Assert.Equal(["cxr_model.vision_backbone.conv1.weight", "cxr_model.vision_backbone.layer4.2.bn2.running_var"], report.Loaded);
        Assert.Equal(["fc.weight"], report.Ignored);
        var state = network.state_dict();
        Assert.Equal(conv1.data<float>().ToArray(), state["cxr_model.vision_backbone.conv1.weight"].data<float>().ToArray());
        Assert.Equal(runningVar.data<float>().ToArray(), state["cxr_model.vision_backbone.layer4.2.bn2.running_var"].data<float>().ToArray());
    }

    [Fact]
    public void Same_seed_and_threads_give_identical_train_mode_outputs_and_gradients()
    {
        float[] Run()
        {
            using var scope = NewDisposeScope();
            manual_seed(11);
            using var network = new FusionNetwork(Small(ModelKind.Attention));
            network.train();
            var output = network.call(SmallBatch(2));
            output.Probabilities.sum().backward();
            return output.Probabilities.data<float>().ToArray().Concat(network.Projection.weight!.grad!.data<float>().ToArray()).ToArray();
        }
        var first = Run();
        Assert.Equal(first, Run());
        Assert.Contains(first, v => v != 0);
    }

    [Fact]
    public void Inconsistent_batches_are_rejected_with_a_clear_message()
    {
        using var scope = NewDisposeScope();
        using var network = new FusionNetwork(Small(ModelKind.Attention));
        var good = SmallBatch(3);
        var tooManyImages = good with { Images = randn(3, 3, 32, 32) };
        Assert.Contains("has-image mask", Assert.Throws<ClinFuseException>(() => network.call(tooManyImages)).Message);
        var badLength = good with { Lengths = tensor(new long[] { 6, 0, 4 }) };
        Assert.Contains("length", Assert.Throws<ClinFuseException>(() => network.call(badLength)).Message);
        var wrongFeatures = good with { Ehr = randn(3, 6, 7) };
        Assert.Contains("features", Assert.Throws<ClinFuseException>(() => network.call(wrongFeatures)).Message);
    }

    [Fact]
    public void A_network_and_loss_built_inside_a_dispose_scope_survive_it()
    {
        FusionNetwork network;
        FusionLoss loss;
        using (NewDisposeScope())
        {
            network = new FusionNetwork(Small(ModelKind.Attention));
            loss = new FusionLoss(LossKind.Uncertainty, 3);
        }
        using var scope = NewDisposeScope();
        network.eval();
        var output = network.call(SmallBatch(4));
        Assert.True(loss.Compute(output.Probabilities, SmallBatch(4).Labels!).Total.isfinite().item<bool>());
        Assert.Equal(network.state_dict().Count, StateDictOrder.Entries(network).Count);
        network.Dispose();
        loss.Dispose();
    }
}
