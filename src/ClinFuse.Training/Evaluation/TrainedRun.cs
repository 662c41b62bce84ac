using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Runs;
using ClinFuse.Core.Stages;
using ClinFuse.Models;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Recipes;
using ClinFuse.Training.Runs;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Evaluation;

/// <summary>
/// A finished training run folder read back for evaluation: its configuration, labels, seed, the
/// prepared store it was trained on (config.json records it) and the name under which its results
/// are reported.
/// </summary>
/// <param name="Folder">The run folder (absolute).</param>
/// <param name="Config">The effective training configuration.</param>
/// <param name="Labels">Output names.</param>
/// <param name="Seed">The run seed.</param>
/// <param name="StoreFolder">The prepared store the run read.</param>
/// <param name="Encoders">Pre-trained encoders the run started from.</param>
public sealed record TrainedRun(string Folder, TrainingConfig Config, IReadOnlyList<string> Labels, ulong Seed, string StoreFolder, IReadOnlyList<EncoderInit> Encoders)
{
    /// <summary>The descriptor recorded when the run was trained; null for runs trained before descriptors were recorded.</summary>
    public ModelDescriptor? RecordedDescriptor { get; init; }

    /// <summary>The store files the run read, as config.json records them (<see cref="PreparedStore.Provenance"/>).</summary>
    public JsonObject StoreProvenance { get; init; } = [];

    /// <summary>The best checkpoint's weights.</summary>
    public string BestWeights => RunFolder.At(Folder).BestWeights;

    /// <summary>Reads <paramref name="folder"/>; anything missing or malformed is a <see cref="ClinFuseException"/> naming it.</summary>
    public static TrainedRun Open(string folder)
    {
        var full = Path.GetFullPath(folder);
        const string hint = "Pass the --out folder of a finished `clinfuse train` or `clinfuse pretrain` run.";
        if (!Directory.Exists(full)) throw new ClinFuseException($"Run folder not found: {full}", hint);
        var layout = RunFolder.At(full);
        if (!File.Exists(layout.ConfigFile)) throw new ClinFuseException($"{full} is not a run folder: config.json is missing.", hint);
        var document = layout.ReadDocument();
        if (document.Labels.Count == 0 || document.StoreFolder is null)
            throw new ClinFuseException($"{layout.ConfigFile} lacks \"labels\" or \"provenance.data\".", "The file is written by the training commands; restore it or train again.");
        var config = document.Config;
        // A baseline's own encoders went into its pre-training phase; the main phase starts from that phase.
        var encoderDocument = config.IsBaseline ? layout.PretrainPhase.ReadDocument() : document;
        var encoders = encoderDocument.Encoders.Select(e => new EncoderInit(e.Checkpoint, e.Prefix)).ToList();
        var run = new TrainedRun(full, config, document.Labels, document.Seed, document.StoreFolder, encoders) { RecordedDescriptor = document.Descriptor, StoreProvenance = document.Provenance };
        // A pre-training run is continued by the command that started it.
        var command = config.Recipe.Contains("pretrain", StringComparison.Ordinal) ? "pretrain"
            : config.Model is ModelKind.UniEhr or ModelKind.UniCxr ? "pretrain --resume` (a pre-training run) or `clinfuse train" // a unimodal run may be either
            : "train";
        if (!File.Exists(run.BestWeights))
            throw new ClinFuseException($"{full} has no best checkpoint (best.safetensors).", $"The run has not finished an epoch; finish it with `clinfuse {command} --resume` (same options) first.");
        if (!RunFolder.OpenForResume(full).ReadState().Finished)
            throw new ClinFuseException($"The run in {full} has not finished.", $"Finish it with `clinfuse {command} --resume` (same options), then use it.");
        return run;
    }

    /// <summary>Opens the prepared store the run was trained on.</summary>
    public PreparedStore OpenStore(ImageCacheOpener? images = null)
    {
        if (!Directory.Exists(StoreFolder))
            throw new ClinFuseException($"The prepared store this run was trained on, {StoreFolder}, no longer exists.", "Restore it (or prepare it again into the same folder) before evaluating the run.");
        return PreparedStore.Open(StoreFolder, images);
    }

    /// <summary>The model with the best weights, in eval mode, on the device of <paramref name="compute"/> (libtorch must be initialised).</summary>
    public TrainableModel LoadModel(ComputeSettings compute) => ModelFactory.Load(Config.Model, BestWeights, TorchRuntime.DeviceOf(compute));

    /// <summary>What the run is: its recorded descriptor, or for a run trained before descriptors were recorded, the one its configuration and <paramref name="store"/> give.</summary>
    public ModelDescriptor Descriptor(PreparedStore store) => RecordedDescriptor ?? ModelNames.Describe(Config, store, Encoders);
}

/// <summary>Names of models as the paper's tables print them.</summary>
public static class ModelNames
{
    /// <summary>
    /// The descriptor of a run with <paramref name="config"/> trained on <paramref name="store"/> from
    /// <paramref name="encoders"/>; <paramref name="radiology"/> for the CXR encoder's radiology pre-training.
    /// </summary>
    public static ModelDescriptor Describe(TrainingConfig config, PreparedStore store, IReadOnlyList<EncoderInit> encoders, bool radiology = false)
    {
        bool clahe = store.HasImages && (store.Recipe?.Images?.Clahe ?? false);
        return new ModelDescriptor(radiology ? RadiologyName : For(config, clahe), config.Model.ToString(), config.Loss.ToString(), config.UsesImages && clahe,
            radiology ? RadiologyTask : store.Labels.Task, [.. encoders.Select(e => e.Checkpoint)]);
    }

    /// <summary>The task and the reported name of the CXR encoder's radiology pre-training.</summary>
    public const string RadiologyTask = "radiology", RadiologyName = "CXR encoder (radiology pre-training)";

    /// <summary>The reported name of a run with <paramref name="config"/>; <paramref name="clahe"/> when its images were CLAHE'd.</summary>
    public static string For(TrainingConfig config, bool clahe)
    {
        bool uncertainty = config.Loss is LossKind.Uncertainty or LossKind.UncertaintySummed;
        string name = config.Model switch
        {
            ModelKind.UniEhr => "Time series only",
            ModelKind.UniCxr => "Image only",
            ModelKind.Early => "Early fusion",
            ModelKind.MedFuseLstm => "MedFuse",
            // The paper's baseline rows: their own image encoders and losses, no variants.
            ModelKind.ContrastiveVit => "Contrastive + ViT",
            ModelKind.Card => "CARD",
            // MedFuse's other baselines and late fusion (Table III rows marked "not in the paper").
            ModelKind.Mmtm => "MMTM",
            ModelKind.Daft => "DAFT",
            ModelKind.Tokens => "Missing-modality tokens",
            ModelKind.Late => "Late fusion",
            ModelKind.DrFuse => "DrFuse",
            _ => "Attention",
        };
        if (config.IsBaseline) return name;
        // The paper's rows: "Attention + uncertainty loss", "Attention + CLAHE", "Attention + Uncertainty + CLAHE".
        bool images = config.UsesImages;
        if (uncertainty && images && clahe) return name + " + Uncertainty + CLAHE";
        if (uncertainty) name += " + uncertainty loss";
        if (images && clahe) name += " + CLAHE";
        return name;
    }
}
