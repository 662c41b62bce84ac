using System.Text.Json.Nodes;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Training.Modeling;

/// <summary>Builds the <see cref="TrainableModel"/> a training configuration describes, or restores one from a checkpoint.</summary>
public static class ModelFactory
{
    /// <summary>
    /// The configuration of one phase: the pre-training phase of a baseline runs
    /// <see cref="BaselineSettings.PretrainEpochs"/> epochs, and contrastive pre-training is selected by
    /// its validation loss (it has no trained classifier to score).
    /// </summary>
    public static TrainingConfig PhaseConfig(TrainingConfig config, TrainingPhase phase) => phase == TrainingPhase.Main ? config : config with
    {
        Epochs = config.Baseline.PretrainEpochs,
        Monitor = config.Model == ModelKind.ContrastiveVit ? MonitorMetric.Loss : config.Monitor,
    };

    /// <summary>
    /// A freshly initialised model for inputs of <paramref name="features"/> values per hour and images of
    /// <paramref name="imageSize"/> pixels (the ViT's input size follows the data, as the ResNet's does);
    /// initialisation draws from libtorch's global generator.
    /// </summary>
    public static TrainableModel Create(TrainingConfig config, TrainingPhase phase, IReadOnlyList<string> labels, int features, int imageSize, JsonObject? normalizer) => config.Model switch
    {
        ModelKind.ContrastiveVit => new ContrastiveVitModel(new ContrastiveVitNetwork(ContrastiveConfig(config, labels.Count, features, imageSize)), phase, labels),
        ModelKind.Card => new CardModel(new CardNetwork(CardConfig(config, labels.Count, features)), phase, labels),
        ModelKind.Mmtm or ModelKind.Daft or ModelKind.Tokens or ModelKind.Late or ModelKind.DrFuse =>
            new PeerModel(PeerCheckpoint.Build(config.ToPeerConfig(labels.Count, features)), new FusionLoss(config.Loss, labels.Count), labels, normalizer),
        _ => new FusionModel(new FusionNetwork(config.ToModelConfig(labels.Count, features)), new FusionLoss(config.Loss, labels.Count), labels, normalizer, config.LinearProbe, config.FrozenEncoderEpochs),
    };

    /// <summary>The model of a finished run's checkpoint (main phase, eval mode) on <paramref name="device"/> (default: the CPU).</summary>
    public static TrainableModel Load(ModelKind model, string checkpoint, TorchSharp.torch.Device? device = null)
    {
        var loaded = LoadOnCpu(model, checkpoint);
        if (device is not null) loaded.MoveTo(device);
        return loaded;
    }

    static TrainableModel LoadOnCpu(ModelKind model, string checkpoint)
    {
        switch (model)
        {
            case ModelKind.ContrastiveVit:
            {
                var (network, info) = BaselineCheckpoint.LoadContrastive(checkpoint);
                return new ContrastiveVitModel(network, TrainingPhase.Main, info.LabelNames);
            }
            case ModelKind.Card:
            {
                var (network, info) = BaselineCheckpoint.LoadCard(checkpoint);
                return new CardModel(network, TrainingPhase.Main, info.LabelNames);
            }
            case ModelKind.Mmtm or ModelKind.Daft or ModelKind.Tokens or ModelKind.Late or ModelKind.DrFuse:
            {
                var (network, loss, info) = PeerCheckpoint.Load(checkpoint);
                return new PeerModel(network, loss, info.LabelNames, info.Normalizer);
            }
            default:
            {
                var loaded = Checkpoint.Load(checkpoint);
                return new FusionModel(loaded.Network, loaded.Loss, loaded.Info.LabelNames, loaded.Info.Normalizer);
            }
        }
    }

    /// <summary>The Contrastive + ViT network for a task with <paramref name="labels"/> outputs, <paramref name="features"/> inputs per hour and <paramref name="imageSize"/>-pixel images.</summary>
    public static ContrastiveVitConfig ContrastiveConfig(TrainingConfig config, int labels, int features, int imageSize)
    {
        var size = config.Baseline.Size == BaselineSize.Paper ? ContrastiveVitConfig.Paper(labels) : ContrastiveVitConfig.Cpu(labels);
        var a = config.Architecture;
        return size with
        {
            Vit = size.Vit with { ImageSize = imageSize },
            EhrInputDim = features, EhrHidden = a.EhrHidden, EhrLayers = a.EhrLayers, EhrDropout = a.EhrDropout,
            IntraTemperature = config.Baseline.IntraTemperature,
        };
    }

    /// <summary>The CARD network for a task with <paramref name="labels"/> outputs and <paramref name="features"/> inputs per hour.</summary>
    public static CardConfig CardConfig(TrainingConfig config, int labels, int features)
    {
        var size = config.Baseline.Size == BaselineSize.Paper ? Models.Baselines.CardConfig.Paper(labels) : Models.Baselines.CardConfig.Cpu(labels);
        var a = config.Architecture;
        return size with
        {
            EhrInputDim = features, EhrHidden = a.EhrHidden, EhrLayers = a.EhrLayers, EhrDropout = a.EhrDropout,
            Steps = config.Baseline.DiffusionSteps ?? size.Steps,
            Samples = config.Baseline.Samples ?? size.Samples,
        };
    }
}
