using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Training;
using ClinFuse.Training.Recipes;
using static TorchSharp.torch;

namespace ClinFuse.Training.Modeling;

/// <summary>What the two paper baselines share: one network in one phase, one Adam group, the baseline checkpoint format.</summary>
/// <typeparam name="TNetwork">The baseline's network.</typeparam>
internal abstract class BaselineModel<TNetwork>(TNetwork network, TrainingPhase phase, IReadOnlyList<string> labels) : TrainableModel
    where TNetwork : nn.Module
{
    /// <summary>The network.</summary>
    public TNetwork Baseline { get; } = network;

    /// <summary>The phase this model trains.</summary>
    protected TrainingPhase Phase { get; } = phase;

    /// <summary>One name per output.</summary>
    protected IReadOnlyList<string> Labels { get; } = labels;

    /// <summary>The network's configuration record (what its checkpoint sidecar and config.json hold).</summary>
    protected abstract object Configuration { get; }

    /// <inheritdoc/>
    public override nn.Module Network => Baseline;

    /// <inheritdoc/>
    public override JsonNode Architecture => JsonNode.Parse(JsonSerializer.Serialize(Configuration, TrainingConfig.Json))!;

    /// <inheritdoc/>
    public override optim.Optimizer CreateOptimizer(AdamSettings settings) => OptimizerFactory.Adam(TrainedParameters, settings);

    /// <inheritdoc/>
    public override void LoadWeights(string path) => BaselineCheckpoint.LoadWeights(path, Baseline);
}
