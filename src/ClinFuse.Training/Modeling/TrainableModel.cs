using System.Text.Json.Nodes;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Training.Modeling;

/// <summary>Which phase of a model's training a run folder holds.</summary>
public enum TrainingPhase
{
    /// <summary>The phase whose weights are the model (fusion models have only this one).</summary>
    Main,
    /// <summary>A baseline's first phase: contrastive pre-training (Contrastive + ViT) or the prior f(x) (CARD).</summary>
    Pretraining,
}

/// <summary>
/// What the training loop and the predictor drive: a network in one training phase, with its loss
/// per batch, what its optimiser updates, its predictions and its checkpoint format. One subclass
/// per model family (<see cref="FusionModel"/>, <see cref="ContrastiveVitModel"/>, <see cref="CardModel"/>);
/// <see cref="ModelFactory"/> builds them from a configuration or a checkpoint.
/// </summary>
public abstract class TrainableModel : IDisposable
{
    /// <summary>The network: its modes, its weights in checkpoints.</summary>
    public abstract nn.Module Network { get; }

    /// <summary>Where the network's weights live (batches are moved there); the CPU until <see cref="MoveTo"/>.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Moves the network (and any loss parameters) to <paramref name="device"/>; call before creating the optimiser.</summary>
    public void MoveTo(Device device)
    {
        foreach (var module in Modules) module.to(device);
        Device = device;
    }

    /// <summary>The modules whose weights <see cref="MoveTo"/> moves.</summary>
    protected virtual IEnumerable<nn.Module> Modules => [Network];

    /// <summary>Everything the optimiser updates (gradient clipping applies to these).</summary>
    public abstract IReadOnlyList<Parameter> TrainedParameters { get; }

    /// <summary>The architecture as recorded in config.json.</summary>
    public abstract JsonNode Architecture { get; }

    /// <summary>Puts the network in training mode (dropout, batch-norm updates) for <paramref name="epoch"/> (from 1); frozen parts stay in eval mode.</summary>
    public virtual void TrainMode(int epoch) => Network.train();

    /// <summary>Adam over <see cref="TrainedParameters"/> with the recipe's settings.</summary>
    public abstract optim.Optimizer CreateOptimizer(AdamSettings settings);

    /// <summary>The training loss of a batch (train mode, with gradients); randomness of views or diffusion from <paramref name="generator"/>.</summary>
    public abstract Tensor TrainingLoss(FusionBatch batch, Generator generator);

    /// <summary>Runs after every optimiser step (e.g. CLIP's clamp of its temperature).</summary>
    public virtual void AfterStep() { }

    /// <summary>
    /// Runs before each validation pass: a model with settings chosen on validation data (late
    /// fusion's per-class weights) fits them here; the default does nothing.
    /// </summary>
    public virtual void FitOnValidation(SplitData validation, int batchSize, int prefetchDepth, CancellationToken cancellationToken) { }

    /// <summary>Predictions of a batch (eval mode, no gradients are needed); sampling models draw from <paramref name="generator"/>.</summary>
    public abstract FusionOutput Predict(FusionBatch batch, Generator generator);

    /// <summary>
    /// The validation loss of a batch given its prediction: the number the plateau scheduler steps on
    /// and, with <c>--monitor loss</c>, the one that selects the best checkpoint, so it must mean the
    /// same in every epoch. By default BCE of the predicted probabilities, whatever the training
    /// criterion (the uncertainty losses' weights change from epoch to epoch).
    /// </summary>
    public virtual Tensor ValidationLoss(FusionBatch batch, FusionOutput output, Generator generator) =>
        nn.functional.binary_cross_entropy(output.Probabilities, batch.Labels!);

    /// <summary>
    /// The training criterion on a validation batch, which the reference reports as its validation loss
    /// (used under <c>--compat medfuse</c>): for the uncertainty losses the current epoch's e^{−s_k}-weighted
    /// sum plus its s_k terms; otherwise <see cref="ValidationLoss"/>.
    /// </summary>
    public virtual Tensor CriterionLoss(FusionBatch batch, FusionOutput output, Generator generator) =>
        ValidationLoss(batch, output, generator);

    /// <summary>Writes the weights and the sidecar (each atomically) with validation metrics and the epoch.</summary>
    public abstract void Save(string path, int epoch, IReadOnlyDictionary<string, double> metrics);

    /// <summary>Loads a checkpoint written by <see cref="Save"/> for this configuration, strictly.</summary>
    public abstract void LoadWeights(string path);

    /// <summary>Disposes the network (and any loss module).</summary>
    public virtual void Dispose()
    {
        Network.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The parameters of some modules, once each.</summary>
    protected static IReadOnlyList<Parameter> ParametersOf(params nn.Module[] modules) =>
        modules.SelectMany(m => m.parameters()).Distinct().ToList();
}
