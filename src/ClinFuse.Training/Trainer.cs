using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Runs;
using ClinFuse.Core.Randomness;
using ClinFuse.Core.Stages;
using ClinFuse.Models;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;
using ClinFuse.Training.Inference;
using ClinFuse.Training.Metrics;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Recipes;
using ClinFuse.Training.Runs;
using static TorchSharp.torch;

namespace ClinFuse.Training;

/// <summary>The samples of one split a run reads.</summary>
/// <param name="Split">The prepared split.</param>
/// <param name="Selection">Which of its samples, with or without images.</param>
/// <param name="Images">The split's image cache, if the selection uses images.</param>
public sealed record SplitData(PreparedSplit Split, SampleSelection Selection, IImageSource? Images);

/// <summary>Everything a training run needs.</summary>
/// <param name="Config">The recipe and settings.</param>
/// <param name="LabelNames">One name per output.</param>
/// <param name="Train">Training samples.</param>
/// <param name="Validation">Validation samples (model selection, early stopping, scheduler).</param>
/// <param name="RunFolder">Where checkpoints, state and curves go.</param>
/// <param name="Seed">Run seed; every random choice is derived from it.</param>
/// <param name="Compute">Threads for libtorch.</param>
public sealed record TrainingJob(TrainingConfig Config, IReadOnlyList<string> LabelNames, SplitData Train, SplitData Validation, string RunFolder, ulong Seed, ComputeSettings Compute)
{
    /// <summary>Pre-trained encoders loaded into the fresh network (ignored on resume: the run's own weights are loaded).</summary>
    public IReadOnlyList<EncoderInit> Encoders { get; init; } = [];
    /// <summary>What the run is, recorded in config.json for evaluation and the report (null: not recorded).</summary>
    public ModelDescriptor? Descriptor { get; init; }
    /// <summary>Normalizer and data provenance recorded in config.json and checkpoint sidecars.</summary>
    public JsonObject Provenance { get; init; } = [];
    /// <summary>Continue the interrupted run in <see cref="RunFolder"/>.</summary>
    public bool Resume { get; init; }
    /// <summary>Replace a non-empty run folder.</summary>
    public bool Force { get; init; }
}

/// <summary>What a run produced.</summary>
/// <param name="Model">The model with the best weights loaded, in eval mode.</param>
/// <param name="State">Final trainer state (of the last phase) with the whole history.</param>
/// <param name="BestCheckpoint">Path of the best weights.</param>
public sealed record TrainingResult(TrainableModel Model, TrainerState State, string BestCheckpoint)
{
    /// <summary>The trained network.</summary>
    public nn.Module Network => Model.Network;
}

/// <summary>
/// The training loop: Adam (reference parameter groups), ReduceLROnPlateau on the validation loss,
/// optional gradient clipping, early stopping on the monitored validation score, best-checkpoint
/// reload. Deterministic for a given seed and thread count: initialisation and each epoch's dropout
/// draw from <c>torch.manual_seed</c> values derived from the run seed, batches from seeded plans,
/// augmentations from per-sample seeds, contrastive views and diffusion noise from per-epoch
/// generators — so a resumed run reproduces an uninterrupted one exactly. The paper baselines train
/// in two phases: the pre-training phase is a run of its own in <c>pretrain/</c> inside the run
/// folder, and the main phase starts from its best weights.
/// </summary>
public static class Trainer
{
    /// <summary>The image size a model is built for when the run reads no images (the reference's 224-px crops).</summary>
    const int DefaultImageSize = 224;

    /// <summary>Runs (or resumes) <paramref name="job"/>; cancellation stops at the next batch, keeping the last completed epoch resumable.</summary>
    public static TrainingResult Run(TrainingJob job, IStageProgress progress, CancellationToken cancellationToken = default)
    {
        var config = job.Config;
        config.Validate();
        if (job.LabelNames.Count != job.Train.Split.LabelCount || job.Validation.Split.LabelCount != job.Train.Split.LabelCount)
            throw new ClinFuseException($"{job.LabelNames.Count} label names, but the training split has {job.Train.Split.LabelCount} labels and validation {job.Validation.Split.LabelCount}.",
                "labels.json and the split files come from different prepare runs; rerun `clinfuse prepare`.");
        if (job.Train.Selection.Count < config.BatchSize)
            throw new ClinFuseException($"The training set has {job.Train.Selection.Count} samples, fewer than one batch of {config.BatchSize} (the last partial batch is dropped).",
                "Lower --batch-size or use a larger dataset mode.");
        if (config.FrozenEncoderEpochs > 0 && job.Encoders.Count == 0)
            throw new ClinFuseException($"FrozenEncoderEpochs = {config.FrozenEncoderEpochs} freezes pre-trained encoders, but none is loaded: the fusion layers would train on random features.",
                "Add --ehr-encoder and/or --cxr-encoder, or leave --frozen-encoder-epochs out.");
        foreach (var encoder in job.Encoders)
            if (!File.Exists(encoder.Checkpoint))
                throw new ClinFuseException($"Pre-trained encoder checkpoint not found: {encoder.Checkpoint}", "Point --ehr-encoder/--cxr-encoder at the run folder of `clinfuse pretrain`.");
        TorchRuntime.Initialize(job.Compute);
        if (!config.IsBaseline) return RunPhase(job, TrainingPhase.Main, [], progress, cancellationToken);

        var pretrain = RunFolder.At(job.RunFolder).PretrainPhase.Path;
        bool pretrained = false;
        if (job.Resume) pretrained = RunFolder.OpenForResume(pretrain).ReadState().Finished;
        else RunFolder.Create(job.RunFolder, job.Force);
        var first = job with { Config = ModelFactory.PhaseConfig(config, TrainingPhase.Pretraining), RunFolder = pretrain, Resume = job.Resume, Force = false };
        if (pretrained)
            progress.Info($"{config.Model} pre-training phase in {pretrain}: finished, skipped.");
        else
        {
            progress.Info($"{config.Model} pre-training phase: {first.Config.Epochs} epochs into {pretrain}.");
            RunPhase(first, TrainingPhase.Pretraining, [], progress, cancellationToken).Model.Dispose();
        }
        var second = job with
        {
            Encoders = [new EncoderInit(RunFolder.At(pretrain).BestWeights, EncoderTransfer.Everything)],
            Resume = job.Resume && File.Exists(RunFolder.At(job.RunFolder).StateFile),
            Force = false,
        };
        progress.Info($"{config.Model} main phase: up to {config.TrainingIterations} epochs from the pre-trained weights.");
        return RunPhase(second, TrainingPhase.Main, [RunFolder.PretrainPhaseFolder], progress, cancellationToken);
    }

    /// <summary>One phase of a run in its own folder (entries named in <paramref name="keep"/> may already be there).</summary>
    static TrainingResult RunPhase(TrainingJob job, TrainingPhase phase, IReadOnlyCollection<string> keep, IStageProgress progress, CancellationToken cancellationToken)
    {
        var config = job.Config;
        manual_seed((long)(Seeds.Derive(job.Seed, "torch-init") >> 1));
        int imageSize = job.Train.Images?.Size ?? job.Validation.Images?.Size ?? DefaultImageSize;
        var model = ModelFactory.Create(config, phase, job.LabelNames, job.Train.Split.Features, imageSize, job.Provenance["normalizer"]?.DeepClone().AsObject());
        model.MoveTo(TorchRuntime.DeviceOf(job.Compute));
        var document = ConfigDocument(job, model, phase);
        RunFolder? resumed = null;
        var state = TrainerState.Initial;
        if (job.Resume)
        {
            resumed = RunFolder.OpenForResume(job.RunFolder);
            var saved = resumed.ReadConfig();
            // A run started before descriptors were recorded resumes without one.
            if (!saved.ContainsKey(ModelDescriptor.ConfigKey)) document = document with { Descriptor = null };
            var wanted = document.ToNode();
            if (!JsonNode.DeepEquals(saved, wanted))
                throw new ClinFuseException($"{resumed.ConfigFile} was written for another configuration, seed or data than this command's: {RunFolder.FirstDifference(saved, wanted)}.",
                    "Resume with exactly the same options, or start a new run.");
            state = resumed.ReadState();
            if (state.Finished)
                throw new ClinFuseException($"The run in {resumed.Path} has already finished.", "Start a new run in another folder.");
        }
        if (state.Epoch == 0)
            foreach (var encoder in job.Encoders)
                progress.Info($"Loaded {EncoderTransfer.Load(model.Network, encoder).Count} tensors{(encoder.Prefix.Length > 0 ? " of " + encoder.Prefix.TrimEnd('.') : "")} from {encoder.Checkpoint}.");
        // The folder is created only once the inputs have loaded, so a bad encoder path leaves nothing behind.
        var folder = resumed ?? RunFolder.Create(job.RunFolder, job.Force, keep);
        if (resumed is null)
        {
            folder.WriteConfig(document);
            folder.WriteState(state);
        }
        var optimizer = model.CreateOptimizer(config.Adam);
        var scheduler = new PlateauScheduler(optimizer, config.PlateauFactor, config.PlateauPatience);
        if (state.Epoch > 0)
        {
            model.LoadWeights(folder.LastWeights);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(folder.LastOptimizer);
            scheduler.Restore(state.Scheduler!);
            progress.Info($"Resuming {folder.Path} after epoch {state.Epoch}.");
        }

        while (state.Epoch < config.TrainingIterations && state.EpochsWithoutImprovement < config.Patience)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int epoch = state.Epoch + 1;
            var clock = Stopwatch.StartNew();
            double learningRate = scheduler.LearningRate;
            (double Loss, double Rate) trained = (double.NaN, double.NaN);
            if (config.Compat != CompatMode.MedFuse) trained = TrainEpoch(job, epoch, model, optimizer, progress, cancellationToken);
            var (valLoss, scores) = Validate(job, model, cancellationToken);
            scheduler.Step(valLoss);
            double score = config.Monitor switch
            {
                MonitorMetric.Auroc => scores.AurocMacro,
                MonitorMetric.Auprc => scores.AuprcMacro,
                _ => -valLoss,
            };
            // Strictly better, as the reference; an undefined score (one class only) never counts as better.
            bool improved = score > state.BestScore;
            var metrics = Metrics(valLoss, scores);
            if (config.Compat == CompatMode.MedFuse)
            {
                // The reference validates the weights of the previous epoch, then trains; the trained weights are "last".
                if (improved) model.Save(folder.BestWeights, epoch, metrics);
                learningRate = scheduler.LearningRate;
                trained = TrainEpoch(job, epoch, model, optimizer, progress, cancellationToken);
                model.Save(folder.LastWeights, epoch, metrics);
            }
            else
            {
                model.Save(folder.LastWeights, epoch, metrics);
                if (improved) CopyCheckpoint(folder.LastWeights, folder.BestWeights);
            }
            AtomicFile.Write(folder.LastOptimizer, temp => ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(temp));
            var record = new EpochRecord(epoch, trained.Loss, valLoss, scores.AurocMacro, scores.AuprcMacro, learningRate, clock.Elapsed.TotalSeconds, trained.Rate);
            state = state with
            {
                Epoch = epoch,
                BestScore = improved ? score : state.BestScore,
                BestEpoch = improved ? epoch : state.BestEpoch,
                EpochsWithoutImprovement = improved ? 0 : state.EpochsWithoutImprovement + 1,
                Scheduler = scheduler.Save(),
                History = [.. state.History, record],
            };
            folder.WriteState(state);
            progress.Info($"epoch {epoch}/{config.TrainingIterations}: train loss {trained.Loss:0.0000}, val loss {valLoss:0.0000}, " +
                          $"val AUROC {scores.AurocMacro:0.0000}, AUPRC {scores.AuprcMacro:0.0000}, lr {learningRate:0.###e0}, {trained.Rate:0.0} samples/s{(improved ? " (best)" : "")}");
        }

        if (state.BestEpoch == 0)
        {
            progress.Info("No epoch had a defined validation score (a label with one class only); the last weights are kept as the best.");
            CopyCheckpoint(folder.LastWeights, folder.BestWeights);
        }
        model.LoadWeights(folder.BestWeights);
        model.Network.eval();
        state = state with { Finished = true };
        folder.WriteState(state);
        optimizer.Dispose();
        return new TrainingResult(model, state, folder.BestWeights);
    }

    static (double Loss, double SamplesPerSecond) TrainEpoch(
        TrainingJob job, int epoch, TrainableModel model, optim.Optimizer optimizer, IStageProgress progress, CancellationToken cancellationToken)
    {
        var config = job.Config;
        var data = job.Train;
        // Re-seeding per epoch makes dropout independent of how many epochs ran in this process (exact resume).
        manual_seed((long)(Seeds.Derive(job.Seed, "torch-epoch", epoch) >> 1));
        using var generator = new Generator(Seeds.Derive(job.Seed, "model-randomness", epoch));
        var plan = TrainingPlan(data, config, job.Seed, epoch);
        var clock = Stopwatch.StartNew();
        double sum = 0;
        long samples = 0;
        var parameters = model.TrainedParameters;
        model.TrainMode(epoch);
        using var step = progress.Step($"epoch {epoch} training", plan.Length * (long)config.BatchSize, "samples");
        foreach (var batch in BatchTensors.Stream(data.Split, data.Selection, data.Images, plan,
                     (host, b) => ImageView.Train(Seeds.Derive(job.Seed, "augment", epoch, host.StayIds[b])), config.PrefetchDepth, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            sum += Step(model, optimizer, batch, generator, parameters, config.GradientClipNorm);
            samples += batch.Host.Size;
            step.Advance(batch.Host.Size);
        }
        return (sum / plan.Length, samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }

    /// <summary>The training batches of <paramref name="epoch"/>: positions in the selection, formed as the configuration's batch order says.</summary>
    public static int[][] TrainingPlan(SplitData data, TrainingConfig config, ulong runSeed, int epoch)
    {
        var lengths = new int[data.Selection.Count];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = data.Split.Timesteps(data.Selection.Indices[i]);
        return EpochPlan.Training(lengths, config.BatchSize, config.TrainingBatchOrder, runSeed, epoch);
    }

    /// <summary>
    /// One optimiser step on <paramref name="batch"/>: the model's training loss, backward, optional
    /// clipping of <paramref name="parameters"/> to <paramref name="clipNorm"/>, step, the model's
    /// after-step hook. Returns the loss; the step's tensors are freed.
    /// </summary>
    public static double Step(TrainableModel model, optim.Optimizer optimizer, LoadedBatch batch, Generator generator, IReadOnlyList<TorchSharp.Modules.Parameter> parameters, double? clipNorm)
    {
        using var scope = NewDisposeScope();
        var value = model.TrainingLoss(BatchTensors.ToFusionBatch(batch, model.Device), generator);
        optimizer.zero_grad();
        value.backward();
        if (clipNorm is double clip) nn.utils.clip_grad_norm_(parameters, clip);
        optimizer.step();
        model.AfterStep();
        return value.item<float>();
    }

    static (double Loss, RankScores Scores) Validate(TrainingJob job, TrainableModel model, CancellationToken cancellationToken)
    {
        var data = job.Validation;
        model.FitOnValidation(data, job.Config.BatchSize, job.Config.PrefetchDepth, cancellationToken);
        var (predictions, meanLoss) = Predictor.Run(model, data.Split, data.Selection, data.Images, job.LabelNames, job.Config.BatchSize, job.Config.PrefetchDepth,
            job.Seed, ValidationCriterion(model, job.Config.Compat), cancellationToken);
        return (meanLoss, RankMetrics.Score(predictions.Probabilities, predictions.Truth, job.LabelNames.Count));
    }

    /// <summary>
    /// The loss a validation pass reports, steps the scheduler on and (with <c>--monitor loss</c>) selects on:
    /// <see cref="TrainableModel.ValidationLoss"/>, or the training criterion as the reference does under <c>--compat medfuse</c>.
    /// </summary>
    internal static Func<FusionBatch, FusionOutput, Generator, Tensor> ValidationCriterion(TrainableModel model, CompatMode compat) =>
        compat == CompatMode.MedFuse ? model.CriterionLoss : model.ValidationLoss;

    /// <summary>The sidecar's validation metrics; a validation split whose labels are all one class has no AUROC, which is then omitted.</summary>
    static Dictionary<string, double> Metrics(double valLoss, RankScores scores)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var (key, value) in new[] { ("val_loss", valLoss), ("auroc_macro", scores.AurocMacro), ("auprc_macro", scores.AuprcMacro) })
            if (double.IsFinite(value)) metrics[key] = value;
        return metrics;
    }

    /// <summary>Copies a checkpoint (weights and sidecar), each file atomically.</summary>
    static void CopyCheckpoint(string from, string to)
    {
        foreach (var (source, target) in new[] { (from, to), (Checkpoint.SidecarPath(from), Checkpoint.SidecarPath(to)) })
        {
            AtomicFile.Write(target, temp => File.Copy(source, temp));
        }
    }

    static RunDocument ConfigDocument(TrainingJob job, TrainableModel model, TrainingPhase phase) => new()
    {
        Config = job.Config,
        Architecture = model.Architecture,
        Labels = job.LabelNames,
        Seed = job.Seed,
        Threads = job.Compute.Threads,
        TrainSamples = job.Train.Selection.Count,
        ValidationSamples = job.Validation.Selection.Count,
        Encoders = [.. job.Encoders.Select(e => new RecordedEncoder(e.Prefix, e.Checkpoint))],
        Provenance = job.Provenance.DeepClone().AsObject(),
        Phase = phase == TrainingPhase.Main ? null : phase.ToString(),
        Descriptor = phase == TrainingPhase.Main ? job.Descriptor : null,
    };
}
