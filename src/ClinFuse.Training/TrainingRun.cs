using ClinFuse.Core.Tasks;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Data.Mimic;
using ClinFuse.Core.Stages;
using ClinFuse.Evaluation;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Inference;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Training;

/// <summary>Settings given on the command line; each one set replaces the recipe's or config file's value.</summary>
public sealed record TrainingOverrides
{
    /// <summary>Network learning rate.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Epochs.</summary>
    public int? Epochs { get; init; }
    /// <summary>Batch size.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Early-stopping patience.</summary>
    public int? Patience { get; init; }
    /// <summary>Reference behaviours.</summary>
    public CompatMode? Compat { get; init; }
    /// <summary>Loss.</summary>
    public LossKind? Loss { get; init; }
    /// <summary>Model-selection metric.</summary>
    public MonitorMetric? Monitor { get; init; }
    /// <summary>Network sizes of the paper baselines.</summary>
    public BaselineSize? BaselineSize { get; init; }
    /// <summary>Epochs of a baseline's pre-training phase.</summary>
    public int? PretrainEpochs { get; init; }
    /// <summary>MMTM/DAFT: the ResNet stage after which the block runs (−1 = every stage).</summary>
    public int? LayerAfter { get; init; }
    /// <summary>Tokens: which head predicts.</summary>
    public Models.Peers.TokenHead? TokenHead { get; init; }
    /// <summary>Train the CXR encoder's head alone on its frozen feature extractor.</summary>
    public bool? LinearProbe { get; init; }
    /// <summary>Epochs at the start of a fusion fine-tuning with the transferred encoders frozen.</summary>
    public int? FrozenEncoderEpochs { get; init; }
    /// <summary>Fusion heads: add the EHR encoder's head's logits to the zero-initialised fusion head's.</summary>
    public bool? SeriesResidual { get; init; }

    /// <summary>
    /// Checks the values given on the command line: one out of range is wrong usage (exit code 2),
    /// as for every option; the same value in a configuration file is bad input (exit code 1).
    /// </summary>
    public void Validate()
    {
        static void Require(bool ok, string option, object? value, string range)
        {
            if (!ok) throw new ClinFuseException($"{option} must be {range}, got {value}.", $"Fix {option} on the command line.", ExitCodes.Usage);
        }
        Require(LearningRate is null || (LearningRate > 0 && double.IsFinite(LearningRate.Value)), "--lr", LearningRate, "a positive number");
        Require(Epochs is null or >= 1, "--epochs", Epochs, "at least 1");
        Require(BatchSize is null or >= 1, "--batch-size", BatchSize, "at least 1");
        Require(Patience is null or >= 1, "--patience", Patience, "at least 1");
        Require(PretrainEpochs is null or >= 1, "--pretrain-epochs", PretrainEpochs, "at least 1");
        Require(FrozenEncoderEpochs is null or >= 0, "--frozen-encoder-epochs", FrozenEncoderEpochs, "0 or more");
    }

    /// <summary><paramref name="config"/> with every set override applied.</summary>
    public TrainingConfig ApplyTo(TrainingConfig config) => config with
    {
        LearningRate = LearningRate ?? config.LearningRate,
        Epochs = Epochs ?? config.Epochs,
        BatchSize = BatchSize ?? config.BatchSize,
        Patience = Patience ?? config.Patience,
        Compat = Compat ?? config.Compat,
        Loss = Loss ?? config.Loss,
        Monitor = Monitor ?? config.Monitor,
        LinearProbe = LinearProbe ?? config.LinearProbe,
        FrozenEncoderEpochs = FrozenEncoderEpochs ?? config.FrozenEncoderEpochs,
        Architecture = config.Architecture with { SeriesResidual = SeriesResidual ?? config.Architecture.SeriesResidual },
        Baseline = config.Baseline with
        {
            Size = BaselineSize ?? config.Baseline.Size,
            PretrainEpochs = PretrainEpochs ?? config.Baseline.PretrainEpochs,
        },
        Peer = config.Peer with
        {
            LayerAfter = LayerAfter ?? config.Peer.LayerAfter,
            TokenHead = TokenHead ?? config.Peer.TokenHead,
        },
    };
}

/// <summary>The targets of an encoder pre-training.</summary>
public enum PretrainLabels
{
    /// <summary>The prepared task's labels (phenotypes or mortality).</summary>
    Task,
    /// <summary>The 14 CheXpert labels of the radiology set (<c>prepare --radiology</c>); CXR encoder only.</summary>
    Radiology,
}

/// <summary>What <c>clinfuse pretrain</c> / <c>clinfuse train</c> ask for.</summary>
/// <param name="Data">Prepared-store folder.</param>
/// <param name="Out">Run folder.</param>
/// <param name="Seed">Run seed.</param>
/// <param name="Compute">Threads.</param>
public sealed record TrainingRequest(string Data, string Out, ulong Seed, ComputeSettings Compute)
{
    /// <summary>Preset name; null = the task's preset for the stage.</summary>
    public string? Recipe { get; init; }
    /// <summary>A JSON configuration file used instead of a preset.</summary>
    public string? ConfigFile { get; init; }
    /// <summary>Command-line overrides.</summary>
    public TrainingOverrides Overrides { get; init; } = new();
    /// <summary>Run folder of a pre-trained EHR encoder.</summary>
    public string? EhrEncoderRun { get; init; }
    /// <summary>Run folder of a pre-trained CXR encoder.</summary>
    public string? CxrEncoderRun { get; init; }
    /// <summary>Replace a non-empty run folder.</summary>
    public bool Force { get; init; }
    /// <summary>Continue an interrupted run.</summary>
    public bool Resume { get; init; }
}

/// <summary>The library side of the training commands: store → job → trainer → run folder.</summary>
public static class TrainingRun
{
    /// <summary>
    /// Pre-trains the EHR encoder (all stays, series only) or the CXR encoder: on the task labels of
    /// the paired stays, or with <paramref name="labels"/> = <see cref="PretrainLabels.Radiology"/> on the
    /// 14 CheXpert labels of every chest X-ray of the training subjects (MedFuse's radiology pre-training).
    /// </summary>
    public static TrainingResult Pretrain(TrainingRequest request, bool cxr, IStageProgress progress, ImageCacheOpener? images = null,
        CancellationToken cancellationToken = default, PretrainLabels labels = PretrainLabels.Task)
    {
        if (labels == PretrainLabels.Radiology && !cxr)
            throw new ClinFuseException("Radiology labels describe chest X-rays: they pre-train the CXR encoder only.", "Use --encoder cxr with --labels radiology.");
        var store = PreparedStore.Open(request.Data, images);
        bool radiology = labels == PretrainLabels.Radiology;
        var config = BaseConfig(request, store, radiology ? RecipePresets.RadiologyPretrain : cxr ? "pretrain-cxr" : "pretrain-ehr") with
        {
            Model = cxr ? ModelKind.UniCxr : ModelKind.UniEhr,
            TrainData = cxr ? DatasetMode.Paired : DatasetMode.PartialEhrOnly,
        };
        return Execute(request, store, request.Overrides.ApplyTo(config), progress, cancellationToken, radiology);
    }

    /// <summary>Trains a fusion model (or a unimodal baseline), loading pre-trained encoders when given.</summary>
    public static TrainingResult Train(TrainingRequest request, ModelKind? model, IStageProgress progress, ImageCacheOpener? images = null, CancellationToken cancellationToken = default)
    {
        var store = PreparedStore.Open(request.Data, images);
        var config = BaseConfig(request, store, "finetune");
        if (model is ModelKind chosen)
        {
            config = config with { Model = chosen };
            if (chosen == ModelKind.UniEhr) config = config with { TrainData = DatasetMode.PartialEhrOnly };
            else if (chosen == ModelKind.UniCxr) config = config with { TrainData = DatasetMode.Paired };
            else if (config.TrainData is DatasetMode.PartialEhrOnly or DatasetMode.PairedEhrOnly) config = config with { TrainData = DatasetMode.Partial };
            // The baselines train with their own objectives, MedFuse's peer models with BCE as its trainers do;
            // the fine-tuning recipes' uncertainty loss is the paper's model's.
            if (config.IsBaseline || config.IsPeer) config = config with { Loss = LossKind.Bce };
        }
        return Execute(request, store, request.Overrides.ApplyTo(config), progress, cancellationToken);
    }

    static TrainingConfig BaseConfig(TrainingRequest request, PreparedStore store, string stage)
    {
        if (request.ConfigFile is not null && request.Recipe is not null)
            throw new ClinFuseException("Both --config and --recipe were given.", "Use one: a recipe preset, or a configuration file.");
        return request.ConfigFile is not null ? TrainingConfig.Load(request.ConfigFile)
            : request.Recipe is not null ? RecipePresets.Get(request.Recipe)
            : stage == RecipePresets.RadiologyPretrain ? RecipePresets.Get(stage)
            : RecipePresets.For(store.Labels.ClinicalTask, stage);
    }

    /// <summary>
    /// The encoder of a pre-training run, after checking where it comes from: a finished run of the
    /// right encoder (EHR or CXR), for the same task and labels, and for the EHR encoder, series
    /// normalised with the same statistics as this store's.
    /// </summary>
    static EncoderInit PretrainedEncoder(string runFolder, ModelKind kind, PreparedStore store)
    {
        bool ehr = kind == ModelKind.UniEhr;
        string option = ehr ? "--ehr-encoder" : "--cxr-encoder", encoder = ehr ? "ehr" : "cxr";
        var hint = $"Pass the --out folder of a finished `clinfuse pretrain --encoder {encoder}` run on this task's prepared store.";
        TrainedRun run;
        try { run = TrainedRun.Open(runFolder); }
        catch (ClinFuseException e) { throw new ClinFuseException($"{option}: {e.Message}", e.Hint ?? hint, e.ExitCode, e); }
        if (run.Config.Model != kind)
            throw new ClinFuseException($"{option}: {run.Folder} trained the {run.Config.Model} model, not the {encoder.ToUpperInvariant()} encoder.", hint);
        // A CXR encoder pre-trained on the radiology labels initialises any task (its head is not transferred).
        bool radiology = !ehr && run.Labels.SequenceEqual(ChexpertLabels.Names);
        if (!radiology && !run.Labels.SequenceEqual(store.Labels.Labels))
            throw new ClinFuseException($"{option}: {run.Folder} was trained for other labels ({run.Labels.Count}: {string.Join(", ", run.Labels.Take(3))}...) than this store's {store.Labels.Task} task.", hint);
        if (ehr)
        {
            var recorded = run.StoreProvenance["normalizer"]?["sha256"]?.GetValue<string>();
            var current = store.Provenance()["normalizer"]?["sha256"]?.GetValue<string>();
            if (recorded != current)
                throw new ClinFuseException($"{option}: {run.Folder} was trained on series normalised with other statistics than {store.Folder} (normalizer.json differs).",
                    "Pre-train the EHR encoder on the same prepared store (or one prepared with the same --normalizer) as the fine-tuning.");
        }
        return new EncoderInit(run.BestWeights, ehr ? EncoderTransfer.Ehr : EncoderTransfer.Cxr);
    }

    static TrainingResult Execute(TrainingRequest request, PreparedStore store, TrainingConfig config, IStageProgress progress, CancellationToken cancellationToken,
        bool radiology = false)
    {
        request.Overrides.Validate();
        config.Validate();
        var labelNames = radiology ? store.RadiologyLabels : store.Labels.Labels;
        using var train = radiology ? store.OpenRadiologySplit(Split.Train) : store.OpenSplit(Split.Train);
        using var validation = radiology ? store.OpenRadiologySplit(Split.Validation) : store.OpenSplit(Split.Validation);
        var trainSelection = SampleSelection.Create(train, config.TrainData);
        var validationSelection = SampleSelection.Create(validation, config.ValidationData);
        if (config.Model == ModelKind.DrFuse && (request.EhrEncoderRun ?? request.CxrEncoderRun) is not null)
            throw new ClinFuseException("DrFuse has encoders of its own (an EHR Transformer and ResNet-50 branches): the LSTM and ResNet-34 encoders of `clinfuse pretrain` do not fit it.",
                "Train --model drfuse without --ehr-encoder and --cxr-encoder.");
        var encoders = new List<EncoderInit>();
        if (request.EhrEncoderRun is not null) encoders.Add(PretrainedEncoder(request.EhrEncoderRun, ModelKind.UniEhr, store));
        if (request.CxrEncoderRun is not null) encoders.Add(PretrainedEncoder(request.CxrEncoderRun, ModelKind.UniCxr, store));
        var job = new TrainingJob(config, labelNames,
            new SplitData(train, trainSelection, trainSelection.WithImages ? store.Images(Split.Train) : null),
            new SplitData(validation, validationSelection, validationSelection.WithImages ? store.Images(Split.Validation) : null),
            request.Out, request.Seed, request.Compute)
        {
            Encoders = encoders,
            Descriptor = ModelNames.Describe(config, store, encoders, radiology),
            Provenance = store.Provenance(PreparedStore.SplitFile(Split.Train, radiology), PreparedStore.SplitFile(Split.Validation, radiology)),
            Resume = request.Resume,
            Force = request.Force,
        };
        progress.Info($"{config.Recipe}: {config.Model} on {trainSelection.Count} training / {validationSelection.Count} validation samples, lr {config.LearningRate}, {config.TrainingIterations} epochs.");
        var result = Trainer.Run(job, progress, cancellationToken);
        var (predictions, _) = Predictor.Run(result.Model, validation, validationSelection, job.Validation.Images, labelNames,
            config.BatchSize, config.PrefetchDepth, request.Seed, cancellationToken: cancellationToken);
        var set = RunEvaluation.ToPredictionSet(predictions, new PredictionMetadata(job.Descriptor.Task, job.Descriptor.Name, Splits.Name(Split.Validation)));
        PredictionsFile.Write(Path.Combine(request.Out, RunEvaluation.PredictionsFileName(Split.Validation)), set);
        return result;
    }
}
