using ClinFuse.Core;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Peers;

/// <summary>
/// MMTM, DAFT and the missing-modality tokens against MedFuse's own module code (tests/fixtures/peers):
/// state-dict names, forward outputs, the training loss, its gradients and one Adam step; and
/// deliberately wrong variants that the same comparisons reject.
/// </summary>
public sealed class PeerParityTests
{
    public PeerParityTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    [Theory]
    [InlineData("mmtm", PeerKind.Mmtm)]
    [InlineData("daft", PeerKind.Daft)]
    [InlineData("tokens", PeerKind.Tokens)]
    public void State_dict_names_and_shapes_are_the_references(string model, PeerKind kind)
    {
        using var network = PeerCheckpoint.Build(PeerGolden.Reference(kind));
        var ours = Checkpoints.StateDictOrder.Entries(network).Select(e => (e.Key, string.Join("x", e.Value.shape))).ToList();
        var reference = PeerGolden.Keys(model).Select(e => (e.Name, e.Shape == "scalar" ? "" : e.Shape)).ToList();
        Assert.Equal(reference.OrderBy(e => e.Item1, StringComparer.Ordinal), ours.OrderBy(e => e.Item1, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(-1, "mmtm")]
    [InlineData(4, "mmtm_after4")]
    public void Mmtm_forward_matches_the_reference(int layerAfter, string golden)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = PeerGolden.Network("mmtm", PeerGolden.Reference(PeerKind.Mmtm, layerAfter));
        var output = network.call(PeerGolden.Batch());
        PeerGolden.Match($"{golden}.joint", output.Main.Probabilities, PeerGolden.ProbabilityAtol);
        PeerGolden.Match($"{golden}.ehr_only", Head(output, "ehr_only"), PeerGolden.ProbabilityAtol);
        PeerGolden.Match($"{golden}.cxr_only", Head(output, "cxr_only"), PeerGolden.ProbabilityAtol);
    }

    [Theory]
    [InlineData(-1, "daft")]
    [InlineData(3, "daft_after3")]
    public void Daft_forward_matches_the_reference(int layerAfter, string golden)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = PeerGolden.Network("daft", PeerGolden.Reference(PeerKind.Daft, layerAfter));
        PeerGolden.Match($"{golden}.daft_fusion", network.call(PeerGolden.Batch()).Main.Probabilities, PeerGolden.ProbabilityAtol);
    }

    [Theory]
    [InlineData(TokenHead.Joint, "tokens.joint")]
    [InlineData(TokenHead.LstmWithTokens, "tokens.lstm_with_token")]
    public void Tokens_forward_matches_the_reference(TokenHead head, string golden)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = PeerGolden.Network("tokens", PeerGolden.Reference(PeerKind.Tokens, head: head));
        PeerGolden.Match(golden, network.call(PeerGolden.Batch()).Main.Probabilities, PeerGolden.ProbabilityAtol);
    }

    /// <summary>The parameters whose gradient and updated value the golden step stores.</summary>
    public static TheoryData<string, PeerKind, string[]> Steps => new()
    {
        { "mmtm", PeerKind.Mmtm, ["joint_cls.0.weight", "mmtm4.fc_squeeze.bias", "mmtm0.fc_skeleton.bias", "ehr_model.layer1.bias_ih_l0", "cxr_model.vision_backbone.conv1.weight"] },
        { "daft", PeerKind.Daft, ["daft_layer_3.aux.aux_out.weight", "daft_layer_0.aux.aux_base.weight", "ehr_model.dense_layer.weight", "ehr_model.layer0.bias_hh_l0"] },
        { "tokens", PeerKind.Tokens, ["missing_token", "fused_cls.0.weight", "projection.bias", "ehr_model.layer1.bias_hh_l0"] },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void Loss_gradients_and_one_reference_adam_step_match(string model, PeerKind kind, string[] stored)
    {
        using var scope = NewDisposeScope();
        var batch = PeerGolden.Batch();
        using (no_grad())
        {
            // The reference's loss of the eval-mode outputs (dropout off, running statistics).
            using var evalNetwork = PeerGolden.Network(model, PeerGolden.Reference(kind, layerAfter: -1));
            using var evalLoss = new FusionLoss(LossKind.Bce, 25);
            double value = evalNetwork.call(batch).Objective(evalLoss, batch.Labels!).item<float>();
            Assert.True(Math.Abs(value - PeerGolden.Get($"{model}.loss").item<float>()) <= PeerGolden.LossAtol, $"{model} loss {value} vs {PeerGolden.Get($"{model}.loss").item<float>()}");
        }
        using var network = PeerGolden.Network(model, PeerGolden.Reference(kind, layerAfter: -1, ehrDropout: 0));
        using var loss = new FusionLoss(LossKind.Bce, 25);
        using var optimizer = OptimizerFactory.Adam(network, loss, AdamSettings.Reference(1e-4));
        var parameters = network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        network.train();
        var total = network.call(batch).Objective(loss, batch.Labels!);
        optimizer.zero_grad();
        total.backward();
        Assert.True(Math.Abs(total.item<float>() - PeerGolden.Get($"{model}.step.loss").item<float>()) <= PeerGolden.LossAtol);
        PeerGolden.MatchGradients(model, parameters, stored, _ => GradientRelativeTolerance);
        optimizer.step();
        PeerGolden.MatchAdamStep(model, parameters, stored, lr: 1e-4);
        PeerGolden.Match($"{model}.step.after.bn1.running_mean", network.CxrModel.VisionBackbone.named_buffers().Single(b => b.name == "bn1.running_mean").buffer, 1e-5);
    }

    /// <summary>Relative Frobenius difference of a gradient (the model goldens allow 0.07 for the ResNet's first convolution).</summary>
    const double GradientRelativeTolerance = 0.02;

    [Theory]
    [InlineData(PeerKind.Mmtm, "mmtm", "mmtm.joint")]
    [InlineData(PeerKind.Daft, "daft", "daft.daft_fusion")]
    public void Squeezing_over_the_valid_steps_only_is_not_the_references_output(PeerKind kind, string model, string golden)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = PeerGolden.Network(model, PeerGolden.Reference(kind, layerAfter: -1) with { Squeeze = TimeSqueeze.ValidSteps });
        Assert.True(PeerGolden.MaxDiff(network.call(PeerGolden.Batch()).Main.Probabilities, PeerGolden.Get(golden)) > 100 * PeerGolden.ProbabilityAtol,
            "the squeeze over valid steps passes as the reference's squeeze over padding");
    }

    [Fact]
    public void A_zero_missing_token_is_not_the_references_learnable_token()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = (FusionTokensNetwork)PeerGolden.Network("tokens", PeerGolden.Reference(PeerKind.Tokens));
        network.MissingToken.zero_();
        var probabilities = network.call(PeerGolden.Batch()).Main.Probabilities;
        var golden = PeerGolden.Get("tokens.joint");
        Assert.True(PeerGolden.MaxDiff(probabilities.narrow(0, 2, 1), golden.narrow(0, 2, 1)) > 100 * PeerGolden.ProbabilityAtol, "the stay without an image ignores its missing token");
        Assert.True(PeerGolden.MaxDiff(probabilities.index_select(0, tensor(new long[] { 0, 1, 3 })), golden.index_select(0, tensor(new long[] { 0, 1, 3 }))) <= PeerGolden.ProbabilityAtol,
            "the missing token changed stays that have an image");
    }

    static Tensor Head(PeerOutput output, string name) => output.Auxiliary.Single(h => h.Name == name).Probabilities;
}
