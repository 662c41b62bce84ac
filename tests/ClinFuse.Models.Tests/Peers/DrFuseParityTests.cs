using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Peers;

/// <summary>
/// DrFuse against its reference model and loss code (tests/fixtures/peers/drfuse.safetensors): state-dict
/// names, every forward output, every loss term, gradients and one Adam step; and wrong variants that the
/// same comparisons reject.
/// </summary>
public sealed class DrFuseParityTests
{
    public DrFuseParityTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    /// <summary>The reference setup: main.py's defaults (width 256, 4 heads, 1 layer), the reference's zero images.</summary>
    static PeerConfig Reference(double dropout = 0.3) => new(PeerKind.DrFuse, 25, MissingImageMode.ZeroImage, EhrDropout: dropout);

    static DrFuseNetwork Network(PeerConfig config, Func<string, string>? referenceName = null) =>
        (DrFuseNetwork)PeerGolden.Network("drfuse", config, referenceName);

    /// <summary>Features are unbounded (up to ~10 here): the probabilities' tolerance relative to their scale.</summary>
    const double FeatureAtol = 2e-5;

    [Fact]
    public void State_dict_names_and_shapes_are_the_references_without_its_unused_modules()
    {
        using var network = PeerCheckpoint.Build(Reference());
        var ours = Checkpoints.StateDictOrder.Entries(network).Select(e => (e.Key, string.Join("x", e.Value.shape))).ToList();
        var reference = PeerGolden.Keys("drfuse")
            .Where(e => !e.Name.StartsWith("ehr_model_linear.", StringComparison.Ordinal) && !e.Name.StartsWith("domain_classifier.", StringComparison.Ordinal))
            .Select(e => (e.Name, e.Shape == "scalar" ? "" : e.Shape)).ToList();
        Assert.Equal(reference, ours);
    }

    [Fact]
    public void Forward_outputs_match_the_reference()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = Network(Reference());
        var output = network.Forward(PeerGolden.Batch());
        PeerGolden.Match("drfuse.pred_final", output.PredFinal, PeerGolden.ProbabilityAtol);
        PeerGolden.Match("drfuse.pred_shared", output.PredShared, PeerGolden.ProbabilityAtol);
        PeerGolden.Match("drfuse.pred_ehr", output.PredEhr, PeerGolden.ProbabilityAtol);
        PeerGolden.Match("drfuse.pred_cxr", output.PredCxr, PeerGolden.ProbabilityAtol);
        PeerGolden.Match("drfuse.attn_weights", output.AttentionWeights, PeerGolden.ProbabilityAtol);
        PeerGolden.Match("drfuse.feat_ehr_shared", output.EhrShared, FeatureAtol);
        PeerGolden.Match("drfuse.feat_cxr_shared", output.CxrShared, FeatureAtol);
        PeerGolden.Match("drfuse.feat_ehr_distinct", output.EhrDistinct, FeatureAtol);
        PeerGolden.Match("drfuse.feat_cxr_distinct", output.CxrDistinct, FeatureAtol);
        // The stay without an image gives its CXR source no weight.
        Assert.Equal(0f, output.AttentionWeights[2].select(1, 2).abs().max().item<float>());
    }

    [Fact]
    public void Every_loss_term_matches_the_reference()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = Network(Reference());
        var batch = PeerGolden.Batch();
        var terms = network.Forward(batch).Terms(batch.Labels!);
        foreach (var (name, value) in new[]
                 {
                     ("pred_final", terms.PredFinal), ("pred_shared", terms.PredShared), ("pred_ehr", terms.PredEhr), ("pred_cxr", terms.PredCxr),
                     ("sim_ehr", terms.SimEhr), ("sim_cxr", terms.SimCxr), ("jsd", terms.Jsd), ("attn_ranking", terms.AttentionRanking), ("total", terms.Total),
                 })
            AssertLoss($"drfuse.loss.{name}", value);
        using var bce = new FusionLoss(LossKind.Bce, 25);
        AssertLoss("drfuse.loss.total", network.call(batch).Objective(bce, batch.Labels!));
    }

    [Fact]
    public void Gradients_and_one_adam_step_match_the_reference_training_step()
    {
        using var scope = NewDisposeScope();
        var batch = PeerGolden.Batch();
        using var network = Network(Reference(dropout: 0));
        using var loss = new FusionLoss(LossKind.Bce, 25);
        using var optimizer = OptimizerFactory.Adam(network, loss, AdamSettings.Default(1e-4));
        var parameters = network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        network.train();
        var total = network.call(batch).Objective(loss, batch.Labels!);
        optimizer.zero_grad();
        total.backward();
        AssertLoss("drfuse.step.loss", total);
        string[] stored = ["final_pred_fc.weight", "attn_proj.bias", "shared_project.0.weight", "fuse_model_shared.bias", "cxr_model_linear.weight",
            "ehr_model.fc_distinct.weight", "ehr_model.pos_encoder.pe", "ehr_model.model_feat.layers.0.self_attn.in_proj_weight",
            "ehr_model.model_distinct.layers.0.linear2.bias", "cxr_model_spec.fc.bias", "cxr_model_spec.3.2.bn3.weight",
            "cxr_model_shared.0.0.conv1.weight", "cxr_model_feat.0.weight"];
        PeerGolden.MatchGradients("drfuse", parameters, stored,
            name => name is "cxr_model_feat.0.weight" or "cxr_model_shared.0.0.conv1.weight" ? FirstConvolutionsGradientTolerance : GradientRelativeTolerance);
        optimizer.step();
        // A key's bias is added to all three sources' scores alike, which the softmax ignores: its gradient is 0 up to
        // rounding, and Adam's first step turns that rounding into ±lr. Only the query and value biases are compared.
        PeerGolden.MatchAdamStep("drfuse", parameters, stored, lr: 1e-4, (name, diff) => name == "attn_proj.bias" ? diff.narrow(0, 0, 2 * 256) : diff);
        PeerGolden.Match("drfuse.step.after.bn1.running_mean", network.named_buffers().Single(b => b.name == "cxr_model_feat.1.running_mean").buffer, 1e-5);
    }

    /// <summary>Relative Frobenius difference of a gradient (the MedFuse peers' tolerance); measured at most 2e-5 here.</summary>
    const double GradientRelativeTolerance = 0.02;

    /// <summary>
    /// The same for the first convolutions, under the whole depth of a train-mode ResNet-50 (measured 0.017):
    /// the model goldens' tolerance for the ResNet's first convolution.
    /// </summary>
    const double FirstConvolutionsGradientTolerance = 0.07;

    [Fact]
    public void Swapping_the_shared_and_distinct_cxr_branches_is_not_the_reference()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        static string Swap(string name) =>
            name.StartsWith("cxr_model_shared.", StringComparison.Ordinal) ? "cxr_model_spec." + name["cxr_model_shared.".Length..]
            : name.StartsWith("cxr_model_spec.", StringComparison.Ordinal) ? "cxr_model_shared." + name["cxr_model_spec.".Length..]
            : name;
        using var network = Network(Reference(), Swap);
        var output = network.Forward(PeerGolden.Batch());
        Assert.True(PeerGolden.MaxDiff(output.PredFinal, PeerGolden.Get("drfuse.pred_final")) > 100 * PeerGolden.ProbabilityAtol, "swapped CXR branches pass as the reference");
    }

    [Fact]
    public void The_masked_mode_predicts_as_the_reference_but_keeps_stays_without_an_image_out_of_the_jsd()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = Network(Reference() with { MissingImage = MissingImageMode.Masked });
        var batch = PeerGolden.Batch();
        var output = network.Forward(batch);
        // Eval mode: the zero image of the reference changes nothing the stay without an image predicts.
        PeerGolden.Match("drfuse.pred_final", output.PredFinal, PeerGolden.ProbabilityAtol);
        PeerGolden.Match("drfuse.pred_shared", output.PredShared, PeerGolden.ProbabilityAtol);
        var terms = output.Terms(batch.Labels!);
        AssertLoss("drfuse.loss.sim_cxr", terms.SimCxr);
        AssertLoss("drfuse.loss.attn_ranking", terms.AttentionRanking);
        // The reference sums the JSD over the zero image's shared feature too: the fix is not the reference.
        double jsd = terms.Jsd.item<float>(), reference = PeerGolden.Get("drfuse.loss.jsd").item<float>();
        Assert.True(reference - jsd > 100 * PeerGolden.LossAtol, $"masked JSD {jsd} vs the reference's {reference}");
    }

    static void AssertLoss(string golden, Tensor actual)
    {
        float value = actual.item<float>(), expected = PeerGolden.Get(golden).item<float>();
        Assert.True(Math.Abs(value - expected) <= PeerGolden.LossAtol, $"{golden}: {value} vs the reference's {expected}");
    }
}
