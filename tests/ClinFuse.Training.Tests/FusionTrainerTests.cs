using ClinFuse.Core;
using ClinFuse.Models;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;

namespace ClinFuse.Training.Tests;

/// <summary>The trainer on a tiny synthetic problem: it learns, stops early, reloads the best epoch, and resumes exactly.</summary>
public sealed class FusionTrainerTests
{
    public FusionTrainerTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    static readonly ModelConfig Config = new(FusionType.UniEhr, 2, 2, EhrInputDim: 3, EhrHidden: 8, EhrDropout: 0.2, OnlyUsedModules: true);

    // Label 0: the series' first channel is positive on average; label 1: the last step's second channel is positive.
    static List<FusionBatch> Batches(int seed, int count)
    {
        var generator = new Generator((ulong)seed);
        var batches = new List<FusionBatch>();
        for (int i = 0; i < count; i++)
        {
            var x = randn(8, 6, 3, generator: generator);
            var labels = stack([x[.., .., 0].mean([1]).gt(0), x[.., -1, 1].gt(0)], 1).to(ScalarType.Float32);
            batches.Add(new FusionBatch(x, full(8, 6L), null, zeros(8, ScalarType.Bool), labels));
        }
        return batches;
    }

    static readonly List<FusionBatch> Train = Batches(1, 8);
    static readonly List<FusionBatch> Validation = Batches(2, 2);

    static IEnumerable<FusionBatch> Shuffled(int epoch)
    {
        var order = Enumerable.Range(0, Train.Count).ToArray();
        new Random(epoch).Shuffle(order);
        return order.Select(i => Train[i]);
    }

    static double NegativeLoss(Tensor probabilities, Tensor labels) =>
        -nn.functional.binary_cross_entropy(probabilities, labels).item<float>();

    static (FusionNetwork, FusionLoss, FusionTrainer) Create(string folder, int epochs, int patience = 100)
    {
        manual_seed(5);
        var network = new FusionNetwork(Config);
        var loss = new FusionLoss(LossKind.Uncertainty, 2);
        var trainer = new FusionTrainer(network, loss, new TrainerOptions(epochs, patience, AdamSettings.Default(0.01), Seed: 9, ["a", "b"]), folder);
        return (network, loss, trainer);
    }

    [Fact]
    public void Training_lowers_the_loss_and_writes_curves_and_the_best_checkpoint()
    {
        using var folder = Fixtures.TempFolder();
        var (network, _, trainer) = Create(folder.Path, epochs: 8);
        var result = trainer.Fit(Shuffled, () => Validation, NegativeLoss);
        Assert.Equal(8, result.Epochs.Count);
        Assert.True(result.Epochs[^1].TrainLoss < 0.9 * result.Epochs[0].TrainLoss, $"train loss {result.Epochs[0].TrainLoss} → {result.Epochs[^1].TrainLoss}");
        Assert.True(result.Epochs.Max(e => e.ValidationMetric) > result.Epochs[0].ValidationMetric);
        Assert.Equal(result.Epochs.MaxBy(e => e.ValidationMetric)!.Epoch, result.BestEpoch);
        var curves = File.ReadAllLines(Path.Combine(folder.Path, "curves.csv"));
        Assert.Equal("epoch,train_loss,validation_loss,validation_metric,seconds", curves[0]);
        Assert.Equal(9, curves.Length);
        // The network ends with the best epoch's weights.
        var best = Checkpoint.Load(Path.Combine(folder.Path, "best.safetensors"));
        Assert.Equal(result.BestEpoch, best.Info.Epoch);
        using var _ = no_grad();
        Assert.Equal(best.Network.call(Validation[0]).Logits.data<float>().ToArray(), network.call(Validation[0]).Logits.data<float>().ToArray());
    }

    [Fact]
    public void Patience_stops_training_when_the_metric_stops_improving()
    {
        using var folder = Fixtures.TempFolder();
        var (_, _, trainer) = Create(folder.Path, epochs: 20, patience: 2);
        int calls = 0;
        // A metric that peaks at the second validation.
        var result = trainer.Fit(Shuffled, () => Validation, (_, _) => ++calls == 2 ? 1.0 : 0.0);
        Assert.True(result.StoppedEarly);
        Assert.Equal(4, result.Epochs.Count);
        Assert.Equal(2, result.BestEpoch);
    }

    [Fact]
    public void Resuming_an_interrupted_run_gives_the_same_weights_as_an_uninterrupted_one()
    {
        using var once = Fixtures.TempFolder();
        using var split = Fixtures.TempFolder();
        var (straight, straightLoss, trainer) = Create(once.Path, epochs: 4);
        var full = trainer.Fit(Shuffled, () => Validation, NegativeLoss);

        var (_, _, firstHalf) = Create(split.Path, epochs: 2);
        firstHalf.Fit(Shuffled, () => Validation, NegativeLoss);
        var (resumed, resumedLoss, secondHalf) = Create(split.Path, epochs: 4);
        var continued = secondHalf.Fit(Shuffled, () => Validation, NegativeLoss, resume: true);

        Assert.Equal(full.Epochs.Select(e => e.TrainLoss), continued.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(full.BestEpoch, continued.BestEpoch);
        var a = straight.state_dict();
        foreach (var (name, value) in resumed.state_dict())
            Assert.True(value.allclose(a[name], rtol: 0, atol: 0), $"{name} differs after resume");
        Assert.Equal(straightLoss.LogVar!.data<float>().ToArray(), resumedLoss.LogVar!.data<float>().ToArray());
    }

    [Fact]
    public void Resume_without_a_previous_run_is_a_clear_error()
    {
        using var folder = Fixtures.TempFolder();
        var (_, _, trainer) = Create(folder.Path, epochs: 2);
        var error = Assert.Throws<ClinFuseException>(() => trainer.Fit(Shuffled, () => Validation, NegativeLoss, resume: true));
        Assert.Contains("trainer_state.json", error.Message);
    }
}
