using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;
using static ClinFuse.Models.Tests.Baselines.BaselineFixtures;

namespace ClinFuse.Models.Tests.Baselines;

/// <summary>Multimodal CARD: prior, denoiser training, reverse sampling, determinism, checkpoints.</summary>
[Collection(GlobalTorchRandomness.Name)]
public sealed class CardNetworkTests
{
    public CardNetworkTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    static optim.Optimizer Adam(nn.Module module, double lr) => optim.Adam(module.parameters(), lr);

    [Fact]
    public void Prediction_has_probabilities_in_the_unit_interval_and_the_prior_alongside()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var network = new CardNetwork(Card);
        var batch = Planted(1);
        var prediction = network.Predict(batch, new Generator(2));
        Assert.Equal(new long[] { 8, Labels }, prediction.Probabilities.shape);
        Assert.Equal(new long[] { 8, Labels }, prediction.PriorProbabilities.shape);
        Assert.Equal(new long[] { 8, Labels }, prediction.SampleStd.shape);
        Assert.True(prediction.Probabilities.ge(0).all().item<bool>() && prediction.Probabilities.le(1).all().item<bool>());
        Assert.True(prediction.SampleStd.gt(0).any().item<bool>());
        var output = network.PredictOutput(batch, new Generator(2));
        Assert.True(Same(output.Probabilities, prediction.Probabilities));
    }

    [Fact]
    public void The_reference_resnet_34_can_encode_the_image_under_its_reference_names()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var network = new CardNetwork(Card with { ImageEncoder = ImageEncoderKind.ResNet34, Vit = null, Samples = 2, Steps = 3 });
        var batch = Planted(1);
        batch = batch with { Images = randn(batch.ImageCount, 3, 32, 32) };
        Assert.Equal(new long[] { 8, 8 + 512 }, network.Embed(batch).shape);
        Assert.Equal(new long[] { 8, Labels }, network.Predict(batch, new Generator(1)).Probabilities.shape);
        Assert.Contains("cxr_model.vision_backbone.layer4.2.bn2.running_var", network.state_dict().Keys);
    }

    [Fact]
    public void Prior_pretraining_lowers_the_bce_of_f_x()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var network = new CardNetwork(Card);
        var batch = Planted(3);
        using var optimizer = Adam(network, 1e-2);
        double first = network.PretrainPriorStep(batch, optimizer).item<float>();
        for (int step = 0; step < 40; step++) network.PretrainPriorStep(batch, optimizer);
        double last = network.PretrainPriorStep(batch, optimizer).item<float>();
        Assert.True(last < first * 0.5, $"{first} → {last}");
    }

    [Fact]
    public void Diffusion_training_lowers_the_noise_regression_loss_and_leaves_the_prior_fixed()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var network = new CardNetwork(Card);
        var batch = Planted(4);
        using var optimizer = Adam(network, 1e-2);
        var priorBefore = network.Predict(batch, new Generator(1)).PriorProbabilities;
        // Same noise and steps each time: the loss is then a fixed function of the denoiser's weights.
        double Loss() { using var _ = no_grad(); return network.DiffusionLoss(batch, new Generator(8)).item<float>(); }
        double before = Loss();
        var generator = new Generator(6);
        for (int step = 0; step < 60; step++) network.DiffusionStep(batch, optimizer, generator);
        double after = Loss();
        Assert.True(after < before * 0.8, $"{before} → {after}");
        Assert.True(Same(network.Predict(batch, new Generator(1)).PriorProbabilities, priorBefore));
    }

    [Fact]
    public void Reverse_process_with_a_trained_prior_and_denoiser_recovers_planted_labels_better_than_chance()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var network = new CardNetwork(Card with { Samples = 16 });
        var batch = Planted(5, size: 16);
        using var optimizer = Adam(network, 1e-2);
        for (int step = 0; step < 60; step++) network.PretrainPriorStep(batch, optimizer);
        using var diffusionOptimizer = Adam(network.Denoiser, 1e-2);
        var generator = new Generator(7);
        for (int step = 0; step < 150; step++) network.DiffusionStep(batch, diffusionOptimizer, generator);
        var probabilities = network.Predict(batch, new Generator(9)).Probabilities;
        double accuracy = (probabilities.gt(0.5).to(ScalarType.Float32) == batch.Labels!).to(ScalarType.Float32).mean().item<float>();
        Assert.True(accuracy > 0.8, $"accuracy {accuracy}");
    }

    static float[] Run(int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        using var network = new CardNetwork(Card with { EhrDropout = 0.3 });
        using var optimizer = Adam(network, 1e-3);
        var generator = new Generator((ulong)seed);
        var batch = Planted(6);
        var values = new List<float> { network.PretrainPriorStep(batch, optimizer).item<float>() };
        for (int step = 0; step < 2; step++) values.Add(network.DiffusionStep(batch, optimizer, generator).item<float>());
        values.AddRange(network.Predict(batch, generator).Probabilities.data<float>().ToArray());
        return [.. values];
    }

    [Fact]
    public void Training_and_sampling_are_deterministic_for_a_seed_and_differ_across_seeds()
    {
        Assert.Equal(Run(21), Run(21));
        Assert.NotEqual(Run(21), Run(22));
    }

    [Fact]
    public void Checkpoint_round_trip_restores_the_same_samples_for_the_same_generator()
    {
        using var scope = NewDisposeScope();
        using var folder = Fixtures.TempFolder();
        manual_seed(5);
        using var network = new CardNetwork(Card);
        var batch = Planted(7);
        using var optimizer = Adam(network, 1e-2);
        network.DiffusionStep(batch, optimizer, new Generator(1)); // moves BatchNorm running statistics off their defaults
        var expected = network.Predict(batch, new Generator(3)).Probabilities.data<float>().ToArray();
        var path = folder.Combine("card.safetensors");
        BaselineCheckpoint.Save(path, network, ["a", "b", "c"], new Dictionary<string, double>(), "1.0");
        var (restored, info) = BaselineCheckpoint.LoadCard(path);
        using (restored)
        {
            Assert.Equal(expected, restored.Predict(batch, new Generator(3)).Probabilities.data<float>().ToArray());
            Assert.Equal(network.Config, restored.Config);
            Assert.Equal(BaselineKind.Card, info.Kind);
        }
        var keys = SafeTensors.Read(path).Tensors.Select(t => t.Key).ToList();
        Assert.Contains("denoiser.lin1.embed.weight", keys);
        Assert.Contains("denoiser.unetnorm3.running_var", keys);
        Assert.Contains("prior.2.weight", keys);
        Assert.Throws<ClinFuseException>(() => BaselineCheckpoint.LoadContrastive(path));
        File.Delete(Checkpoint.SidecarPath(path));
        Assert.Contains(".json", Assert.Throws<ClinFuseException>(() => BaselineCheckpoint.LoadCard(path)).Message);
    }

    [Fact]
    public void Invalid_settings_and_unlabelled_training_batches_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("Vit", Assert.Throws<ClinFuseException>(() => new CardNetwork(Card with { Vit = null })).Message);
        Assert.Contains("Samples", Assert.Throws<ClinFuseException>(() => new CardNetwork(Card with { Samples = 0 })).Message);
        manual_seed(1);
        using var network = new CardNetwork(Card);
        using var optimizer = Adam(network, 1e-3);
        var unlabelled = Planted(1) with { Labels = null };
        Assert.Contains("labels", Assert.Throws<ClinFuseException>(() => network.PretrainPriorStep(unlabelled, optimizer)).Message);
        Assert.Contains("labels", Assert.Throws<ClinFuseException>(() => network.DiffusionStep(unlabelled, optimizer, new Generator(1))).Message);
    }
}
