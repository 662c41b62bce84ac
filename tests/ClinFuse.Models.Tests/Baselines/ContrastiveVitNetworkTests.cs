using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Training;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;
using static ClinFuse.Models.Tests.Baselines.BaselineFixtures;

namespace ClinFuse.Models.Tests.Baselines;

/// <summary>Contrastive + ViT: augmentations, pre-training terms, fine-tuning, determinism, checkpoints.</summary>
[Collection(GlobalTorchRandomness.Name)]
public sealed class ContrastiveVitNetworkTests
{
    public ContrastiveVitNetworkTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    static optim.Optimizer Adam(nn.Module module, double lr) => optim.Adam(module.parameters(), lr);

    [Fact]
    public void Image_augmentation_without_crop_or_rotation_is_the_identity_or_an_exact_horizontal_flip()
    {
        using var scope = NewDisposeScope();
        var images = randn(3, 3, 8, 8, generator: new Generator(1));
        var identity = new ImageAugmentation(1, 0, 0).Apply(images, new Generator(2));
        var flipped = new ImageAugmentation(1, 0, 1).Apply(images, new Generator(2));
        Assert.True(identity.allclose(images, atol: 1e-5));
        Assert.True(flipped.allclose(images.flip(3), atol: 1e-5));
        var random = new ImageAugmentation().Apply(images, new Generator(3));
        Assert.Equal(images.shape, random.shape);
        Assert.False(random.allclose(images, atol: 1e-3));
        Assert.True(Same(random, new ImageAugmentation().Apply(images, new Generator(3))));
    }

    [Fact]
    public void Series_augmentation_leaves_padding_at_zero_and_only_jitters_or_masks_valid_hours()
    {
        using var scope = NewDisposeScope();
        var batch = Planted(4);
        var view = new SeriesAugmentation(0.5, 0.3).Apply(batch.Ehr, batch.Lengths, new Generator(9));
        var lengths = batch.Lengths.data<long>().ToArray();
        bool someMasked = false;
        for (int i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(0f, view[i, (int)lengths[i]..].abs().sum().item<float>());
            for (int h = 0; h < lengths[i]; h++)
                someMasked |= view[i, h].abs().sum().item<float>() == 0;
        }
        Assert.True(someMasked);
        Assert.True(Same(new SeriesAugmentation(0, 0).Apply(batch.Ehr, batch.Lengths, new Generator(9)), batch.Ehr));
    }

    [Fact]
    public void Forward_gives_one_row_per_stay_and_zero_image_features_for_stays_without_an_image()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var network = new ContrastiveVitNetwork(Contrastive);
        var batch = Planted(1);
        var output = network.Predict(batch);
        Assert.Equal(new long[] { 8, Labels }, output.Logits.shape);
        Assert.True(output.Probabilities.allclose(output.Logits.sigmoid()));
        Assert.Equal(new long[] { 8, TinyVit.HiddenDim }, output.CxrFeature!.shape);
        var hasImage = batch.HasImage.data<bool>().ToArray();
        for (int i = 0; i < 8; i++)
            Assert.Equal(!hasImage[i], output.CxrFeature[i].abs().sum().item<float>() == 0);
    }

    [Fact]
    public void Pretraining_uses_only_the_series_term_when_fewer_than_two_stays_have_an_image()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var network = new ContrastiveVitNetwork(Contrastive with { EhrIntraWeight = 2 });
        var full = Planted(2);
        var oneImage = full with { Images = full.Images![..1], HasImage = tensor(new[] { true, false, false, false, false, false, false, false }) };
        var parts = network.PretrainLoss(oneImage, new Generator(3));
        Assert.Null(parts.CxrIntra);
        Assert.Null(parts.Inter);
        Assert.Equal(2 * parts.EhrIntra!.item<float>(), parts.Total.item<float>(), 5);
        var all = network.PretrainLoss(full, new Generator(3));
        Assert.Equal(2 * all.EhrIntra!.item<float>() + all.CxrIntra!.item<float>() + all.Inter!.item<float>(), all.Total.item<float>(), 4);
    }

    [Fact]
    public void The_series_of_a_stay_without_an_image_enters_only_the_series_term()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var network = new ContrastiveVitNetwork(Contrastive);
        network.eval();
        var batch = Planted(2);
        Assert.False(batch.HasImage[1].item<bool>());
        var changed = batch with { Ehr = batch.Ehr.clone().index_put_(randn(Hours, Features) * 3, tensor(1L)) };
        var original = network.PretrainLoss(batch, new Generator(3));
        var perturbed = network.PretrainLoss(changed, new Generator(3));
        Assert.Equal(original.CxrIntra!.item<float>(), perturbed.CxrIntra!.item<float>());
        Assert.Equal(original.Inter!.item<float>(), perturbed.Inter!.item<float>(), 6);
        Assert.NotEqual(original.EhrIntra!.item<float>(), perturbed.EhrIntra!.item<float>());
    }

    [Fact]
    public void A_few_pretraining_steps_lower_the_contrastive_loss_on_a_fixed_batch()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var network = new ContrastiveVitNetwork(Contrastive);
        var batch = Planted(3);
        using var optimizer = Adam(network, 3e-3);
        double Evaluate() { network.eval(); using var _ = no_grad(); return network.PretrainLoss(batch, new Generator(77)).Total.item<float>(); }
        double before = Evaluate();
        var generator = new Generator(5);
        for (int step = 0; step < 30; step++) network.PretrainStep(batch, optimizer, generator);
        Assert.True(Evaluate() < before * 0.9, $"{before} → {Evaluate()}");
    }

    [Fact]
    public void Fixed_temperature_stays_fixed_and_learned_temperature_moves()
    {
        using var scope = NewDisposeScope();
        var batch = Planted(3);
        foreach (bool learnable in new[] { false, true })
        {
            manual_seed(2);
            using var network = new ContrastiveVitNetwork(Contrastive with { LearnableInterTemperature = learnable });
            using var optimizer = Adam(network, 1e-2);
            network.PretrainStep(batch, optimizer, new Generator(1));
            Assert.Equal(!learnable, Math.Abs(network.LogitScale.item<float>() - Math.Log(1 / 0.07)) < 1e-6);
        }
    }

    [Fact]
    public void Fine_tuning_lowers_the_bce_on_planted_labels()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var network = new ContrastiveVitNetwork(Contrastive);
        var batch = Planted(4);
        using var optimizer = Adam(network, 1e-2);
        double first = network.FinetuneStep(batch, optimizer).item<float>();
        for (int step = 0; step < 40; step++) network.FinetuneStep(batch, optimizer);
        var probabilities = network.Predict(batch).Probabilities;
        double after = nn.functional.binary_cross_entropy(probabilities, batch.Labels!).item<float>();
        Assert.True(after < first * 0.5, $"{first} → {after}");
        Assert.Contains("labels", Assert.Throws<ClinFuseException>(() => network.FinetuneStep(batch with { Labels = null }, optimizer)).Message);
        Assert.Contains("predicts 3", Assert.Throws<ClinFuseException>(() => network.FinetuneStep(batch with { Labels = ones(8, 2) }, optimizer)).Message);
    }

    [Fact]
    public void Fine_tuning_with_the_uncertainty_loss_also_trains_its_log_variances()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var network = new ContrastiveVitNetwork(Contrastive);
        using var loss = new FusionLoss(LossKind.Uncertainty, Labels);
        var batch = Planted(4);
        using var optimizer = OptimizerFactory.Adam(network, loss, AdamSettings.Default(1e-2));
        var value = network.FinetuneStep(batch, optimizer, loss);
        var probabilities = network.Predict(batch).Probabilities;
        Assert.True(loss.LogVar!.abs().sum().item<float>() > 0);
        Assert.True(value.item<float>() > 0);
        Assert.Equal(new long[] { 8, Labels }, probabilities.shape);
    }

    static float[] Run(int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        using var network = new ContrastiveVitNetwork(Contrastive with { EhrDropout = 0.3 });
        using var optimizer = Adam(network, 1e-3);
        var generator = new Generator((ulong)seed);
        var batch = Planted(6);
        var losses = new List<float>();
        for (int step = 0; step < 2; step++) losses.Add(network.PretrainStep(batch, optimizer, generator).Total.item<float>());
        losses.Add(network.FinetuneStep(batch, optimizer).item<float>());
        losses.AddRange(network.Predict(batch).Probabilities.data<float>().ToArray());
        return [.. losses];
    }

    [Fact]
    public void Training_is_deterministic_for_a_seed_and_differs_across_seeds()
    {
        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void Checkpoint_round_trip_restores_predictions_config_and_labels()
    {
        using var scope = NewDisposeScope();
        using var folder = Fixtures.TempFolder();
        manual_seed(4);
        using var network = new ContrastiveVitNetwork(Contrastive with { LearnableInterTemperature = false });
        using (no_grad()) foreach (var p in network.parameters()) p.add_(0.01);
        var batch = Planted(5);
        var expected = network.Predict(batch).Logits.data<float>().ToArray();
        var path = folder.Combine("contrastive.safetensors");
        BaselineCheckpoint.Save(path, network, ["a", "b", "c"], new Dictionary<string, double> { ["auroc_macro"] = 0.6 }, "1.0", epoch: 3);
        var (restored, info) = BaselineCheckpoint.LoadContrastive(path);
        using (restored)
        {
            Assert.Equal(expected, restored.Predict(batch).Logits.data<float>().ToArray());
            Assert.Equal(network.Config, restored.Config);
            Assert.False(restored.LogitScale.requires_grad);
            Assert.Equal(["a", "b", "c"], info.LabelNames);
            Assert.Equal(3, info.Epoch);
        }
        var keys = SafeTensors.Read(path).Tensors.Select(t => t.Key).ToList();
        Assert.Contains("cxr_model.encoder.layers.encoder_layer_0.self_attention.in_proj_weight", keys);
        Assert.Contains("intra_head.cxr.2.weight", keys);
        Assert.Contains("inter_head.ehr.0.weight", keys);
        // PyTorch's state_dict order: the module's own parameter first, then its children in order.
        Assert.Equal(["logit_scale", "ehr_model.layer0.weight_ih_l0"], keys[..2]);
        var wrongKind = Assert.Throws<ClinFuseException>(() => BaselineCheckpoint.LoadCard(path));
        Assert.Contains("ContrastiveVit", wrongKind.Message);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp-*"));
    }

    [Fact]
    public void Invalid_settings_and_batches_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("temperatures", Assert.Throws<ClinFuseException>(() => new ContrastiveVitNetwork(Contrastive with { IntraTemperature = 0 })).Message);
        manual_seed(1);
        using var network = new ContrastiveVitNetwork(Contrastive);
        var batch = Planted(1);
        Assert.Throws<ClinFuseException>(() => network.Predict(batch with { Ehr = randn(8, Hours, Features + 1) }));
    }
}
