using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Adam = ClinFuse.Models.Training.Adam;

namespace ClinFuse.Models.Tests;

/// <summary>Losses, their gradients, and the reference training steps against the goldens.</summary>
public sealed class LossAndStepParityTests
{
    public LossAndStepParityTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    [Theory]
    [InlineData("pheno", "in_y_pheno", "in_s_pheno")]
    [InlineData("ihm", "in_y_ihm", "in_s_ihm")]
    [InlineData("extreme", "in_y_extreme", "in_s_extreme")]
    public void Bce_and_uncertainty_loss_values_and_gradients_match(string tag, string targetsFile, string sFile)
    {
        using var scope = NewDisposeScope();
        var targets = Golden.Load(targetsFile).to(ScalarType.Float32);
        if (targets.dim() == 1) targets = targets.unsqueeze(1);
        Tensor Logits() => Golden.Load($"loss_{tag}_logits").reshape(targets.shape).requires_grad_();

        var logits = Logits();
        var probabilities = logits.sigmoid();
        probabilities.retain_grad();
        Golden.Match($"loss_{tag}_probs", probabilities.reshape(Golden.Load($"loss_{tag}_probs").shape));
        var bce = new FusionLoss(LossKind.Bce, (int)targets.shape[1]).Compute(probabilities, targets);
        Assert.True(Math.Abs(bce.Total.item<float>() - Golden.Scalar("loss_scalars", $"{tag}_bce")) <= Golden.ScalarAtol("loss_scalars", $"{tag}_bce"));
        bce.Total.backward();
        Golden.Match($"loss_{tag}_bce_grad_logits", logits.grad!.reshape(Golden.Load($"loss_{tag}_bce_grad_logits").shape));
        Golden.Match($"loss_{tag}_bce_grad_probs", probabilities.grad!.reshape(Golden.Load($"loss_{tag}_bce_grad_probs").shape));

        logits = Logits();
        probabilities = logits.sigmoid();
        probabilities.retain_grad();
        using var uncertainty = new FusionLoss(LossKind.Uncertainty, (int)targets.shape[1]);
        using (no_grad()) uncertainty.LogVar!.copy_(Golden.Load(sFile));
        var parts = uncertainty.Compute(probabilities, targets);
        Assert.True(Math.Abs(parts.Total.item<float>() - Golden.Scalar("loss_scalars", $"{tag}_uncertainty")) <= Golden.ScalarAtol("loss_scalars", $"{tag}_uncertainty"));
        Golden.Match($"loss_{tag}_unc_per_label_bce", parts.PerLabelBce!);
        parts.Total.backward();
        Golden.Match($"loss_{tag}_unc_grad_logits", logits.grad!.reshape(targets.shape));
        Golden.Match($"loss_{tag}_unc_grad_probs", probabilities.grad!.reshape(targets.shape));
        Golden.Match($"loss_{tag}_unc_grad_s", uncertainty.LogVar!.grad!);
    }

    [Fact]
    public void Summed_uncertainty_form_is_the_papers_sum_with_a_full_log_variance_term()
    {
        using var scope = NewDisposeScope();
        var probabilities = Golden.Load("loss_pheno_probs");
        var targets = Golden.Load("in_y_pheno").to(ScalarType.Float32);
        var s = Golden.Load("in_s_pheno");
        using var summed = new FusionLoss(LossKind.UncertaintySummed, 25);
        using (no_grad()) summed.LogVar!.copy_(s);
        var perLabel = Golden.Load("loss_pheno_unc_per_label_bce").to(ScalarType.Float64);
        double expected = ((-s.to(ScalarType.Float64)).exp() * perLabel + s.to(ScalarType.Float64)).sum().item<double>();
        Assert.Equal(expected, summed.Compute(probabilities, targets).Total.item<float>(), 5);
    }

    static readonly string[] StepParameters =
    [
        "attn_fused_cls.0.weight", "attn_fused_cls.0.bias", "projection.bias", "cxr_model.vision_backbone.conv1.weight",
    ];

    [Fact]
    public void Two_reference_training_steps_match_end_to_end()
    {
        using var scope = NewDisposeScope();
        using var network = Golden.Network(ModelKind.Attention, ehrDropout: 0, transformerDropout: 0);
        using var loss = new FusionLoss(LossKind.Uncertainty, 25);
        using (no_grad()) loss.LogVar!.copy_(Golden.Load("in_s_pheno"));
        using var optimizer = OptimizerFactory.Adam(network, loss, AdamSettings.Reference(7e-5));
        var parameters = network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var buffers = network.named_buffers().ToDictionary(p => p.name, p => p.buffer);
        parameters["s"] = loss.LogVar!;
        var batch = Golden.Batch();
        network.train();
        for (int step = 1; step <= 2; step++)
        {
            var output = network.call(batch);
            var total = loss.Compute(output.Probabilities, batch.Labels!).Total;
            optimizer.zero_grad();
            total.backward();
            Assert.True(Math.Abs(total.item<float>() - Golden.Scalar("train_step_scalars", $"loss_step{step}")) <= Golden.ScalarAtol("train_step_scalars", $"loss_step{step}"));
            if (step == 1)
            {
                Golden.Match("step_train_probs_step1", output.Probabilities);
                foreach (var name in StepParameters.Append("s").Append("attn_layer.layers.0.self_attn.out_proj.weight").Append("ehr_model.layer0.weight_ih_l0"))
                    Golden.Match($"step_grad1_{name}", parameters[name].grad!);
                var conv = parameters["cxr_model.vision_backbone.conv1.weight"].grad!;
                var golden = Golden.Load("step_grad1_cxr_model.vision_backbone.conv1.weight");
                double relFrobenius = (conv - golden).norm().item<float>() / golden.norm().item<float>();
                Assert.True(relFrobenius <= Golden.Tol("step_grad1_cxr_model.vision_backbone.conv1.weight")["max_rel_frobenius"]!.GetValue<double>());
                Assert.Null(parameters["fused_cls.0.weight"].grad);
            }
            optimizer.step();
            foreach (var bn in new[] { "cxr_model.vision_backbone.bn1", "cxr_model.vision_backbone.layer4.2.bn2" })
            {
                Golden.Match($"step_after{step}_{bn}.running_mean", buffers[bn + ".running_mean"]);
                Golden.Match($"step_after{step}_{bn}.running_var", buffers[bn + ".running_var"]);
                Assert.Equal(step, buffers[bn + ".num_batches_tracked"].item<long>());
            }
            foreach (var name in StepParameters.Append("s"))
            {
                var tol = Golden.Tol($"step_after{step}_{name}");
                var diff = (parameters[name].detach() - Golden.Load($"step_after{step}_{name}")).abs();
                Assert.True(diff.max().item<float>() <= tol["atol_max"]!.GetValue<double>(), $"after{step} {name}: {diff.max().item<float>()}");
                if (step == 1)
                    Assert.True(diff.gt(tol["atol_bulk"]!.GetValue<double>()).to(ScalarType.Float32).mean().item<float>() <= tol["max_frac_over_bulk"]!.GetValue<double>(), $"after1 {name}: too many elements off");
            }
        }
    }

    /// <summary>Adam fed the stored gradients must land on the stored parameters (the only test that resolves β2).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adam_replay_of_the_stored_gradients_reproduces_the_stored_parameters_only_with_the_reference_betas(bool standardBetas)
    {
        using var scope = NewDisposeScope();
        var model = StepParameters.Select(n => Start(n)).ToList();
        var s = new Parameter(Golden.Load("in_s_pheno"));
        var settings = standardBetas ? AdamSettings.Default(7e-5) : AdamSettings.Reference(7e-5);
        using var optimizer = new Adam(
            [
                new Adam.ParamGroup(model, new Adam.Options { LearningRate = settings.LearningRate, beta1 = settings.Beta1, beta2 = settings.Beta2, eps = settings.Epsilon }),
                new Adam.ParamGroup([s], new Adam.Options { LearningRate = settings.LossLearningRate, beta1 = settings.LossBeta1, beta2 = settings.LossBeta2, eps = settings.Epsilon }),
            ], settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon);
        var all = model.Append(s).ToList();
        var names = StepParameters.Append("s").ToList();
        double worstStep2 = 0;
        for (int step = 1; step <= 2; step++)
        {
            optimizer.zero_grad();
            // d/dp sum(p * g) = g exactly: injects the stored gradient.
            var surrogate = zeros(1);
            for (int i = 0; i < all.Count; i++) surrogate = surrogate + (all[i] * Golden.Load($"step_grad{step}_{names[i]}")).sum();
            surrogate.backward();
            optimizer.step();
            for (int i = 0; i < all.Count; i++)
            {
                double diff = Golden.MaxDiff(all[i].detach(), Golden.Load($"step_after{step}_{names[i]}"));
                double atol = Golden.Tol($"step_after{step}_{names[i]}")["atol_optimizer_replay"]!.GetValue<double>();
                if (step == 1) Assert.True(diff <= atol, $"step 1 {names[i]}: {diff:E2}");
                else if (standardBetas) worstStep2 = Math.Max(worstStep2, diff);
                else Assert.True(diff <= atol, $"step 2 {names[i]}: {diff:E2}");
            }
        }
        // The first step is ≈ −lr·sign(g) whatever the betas; the second shows β2 (0.9 vs 0.999 moves values by ~1.4e-6).
        if (standardBetas) Assert.True(worstStep2 > 1e-6, $"standard betas should not reproduce the reference (max diff {worstStep2:E2})");
    }

    static Parameter Start(string name)
    {
        var key = Golden.Keys().Single(k => k.Name == name);
        var rule = GoldenWeights.Rule(name, key.Shape)!.Value;
        return new Parameter(tensor(GoldenWeights.Values(key.K, key.Shape.Aggregate(1L, (a, b) => a * b), rule.A, rule.B)).reshape(key.Shape));
    }
}
