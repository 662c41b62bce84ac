using System.Diagnostics;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Randomness;
using ClinFuse.Core.Stages;
using ClinFuse.Models;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Training.Images;
using ClinFuse.Training.Inference;
using ClinFuse.Training.Metrics;
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
    /// <summary>Normalizer and data provenance recorded in config.json and checkpoint sidecars.</summary>
    public JsonObject Provenance { get; init; } = [];
    /// <summary>Continue the interrupted run in <see cref="RunFolder"/>.</summary>
    public bool Resume { get; init; }
    /// <summary>Replace a non-empty run folder.</summary>
    public bool Force { get; init; }
}

/// <summary>What a run produced.</summary>
/// <param name="Network">The network with the best weights loaded, in eval mode.</param>
/// <param name="Loss">The criterion (with its learned log-variances).</param>
/// <param name="State">Final trainer state with the whole history.</param>
/// <param name="BestCheckpoint">Path of the best weights.</param>
public sealed record TrainingResult(FusionNetwork Network, FusionLoss Loss, TrainerState State, string BestCheckpoint);

/// <summary>
/// The training loop: Adam (reference parameter groups), ReduceLROnPlateau on the validation loss,
/// optional gradient clipping, early stopping on the monitored validation score, best-checkpoint
/// reload. Deterministic for a given seed and thread count: initialisation and each epoch's dropout
/// draw from <c>torch.manual_seed</c> values derived from the run seed, batches from seeded plans,
/// augmentations from per-sample seeds — so a resumed run reproduces an uninterrupted one exactly.
/// </summary>
public static class Trainer
{
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
        var modelConfig = config.ToModelConfig(job.LabelNames.Count, job.Train.Split.Features);
        TorchRuntime.Initialize(job.Compute);

        var document = ConfigDocument(job);
        RunFolder? resumed = null;
        var state = TrainerState.Initial;
        if (job.Resume)
        {
            resumed = RunFolder.OpenForResume(job.RunFolder);
            if (!JsonNode.DeepEquals(resumed.ReadConfig(), document))
                throw new ClinFuseException($"{resumed.ConfigFile} was written for another configuration, seed or data than this command's.",
                    "Resume with exactly the same options, or start a new run.");
            state = resumed.ReadState();
            if (state.Finished)
                throw new ClinFuseException($"The run in {resumed.Path} has already finished.", "Start a new run in another folder.");
        }

        manual_seed((long)(Seeds.Derive(job.Seed, "torch-init") >> 1));
        var network = new FusionNetwork(modelConfig);
        var loss = new FusionLoss(config.Loss, modelConfig.NumClasses);
        if (state.Epoch == 0)
            foreach (var encoder in job.Encoders)
                progress.Info($"Loaded {EncoderTransfer.Load(network, encoder).Count} tensors of {encoder.Prefix.TrimEnd('.')} from {encoder.Checkpoint}.");
        // The folder is created only once the inputs have loaded, so a bad encoder path leaves nothing behind.
        var folder = resumed ?? RunFolder.Create(job.RunFolder, job.Force);
        if (resumed is null)
        {
            folder.WriteConfig(document);
            folder.WriteState(state);
        }
        var optimizer = OptimizerFactory.Adam(TrainedModules(network), loss, config.Adam);
        var scheduler = new PlateauScheduler(optimizer, config.PlateauFactor, config.PlateauPatience);
        if (state.Epoch > 0)
        {
            LoadWeights(folder.LastWeights, network, loss);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(folder.LastOptimizer);
            scheduler.Restore(state.Scheduler!);
            progress.Info($"Resuming {folder.Path} after epoch {state.Epoch}.");
        }

        var info = new Checkpointing(modelConfig, config.Loss, job.LabelNames, job.Provenance["normalizer"]?.DeepClone().AsObject());
        network.train();
        while (state.Epoch < config.TrainingIterations && state.EpochsWithoutImprovement < config.Patience)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int epoch = state.Epoch + 1;
            var clock = Stopwatch.StartNew();
            double learningRate = scheduler.LearningRate;
            (double Loss, double Rate) trained = (double.NaN, double.NaN);
            if (config.Compat != CompatMode.MedFuse) trained = TrainEpoch(job, epoch, network, loss, optimizer, progress, cancellationToken);
            var (valLoss, scores) = Validate(job, network, loss, cancellationToken);
            scheduler.Step(valLoss);
            double score = config.Monitor == MonitorMetric.Auroc ? scores.AurocMacro : scores.AuprcMacro;
            // Strictly better, as the reference; an undefined score (one class only) never counts as better.
            bool improved = score > state.BestScore;
            if (config.Compat == CompatMode.MedFuse)
            {
                // The reference validates the weights of the previous epoch, then trains; the trained weights are "last".
                if (improved) info.Save(folder.BestWeights, network, loss, epoch, valLoss, scores);
                learningRate = scheduler.LearningRate;
                trained = TrainEpoch(job, epoch, network, loss, optimizer, progress, cancellationToken);
                info.Save(folder.LastWeights, network, loss, epoch, valLoss, scores);
            }
            else
            {
                info.Save(folder.LastWeights, network, loss, epoch, valLoss, scores);
                if (improved) CopyCheckpoint(folder.LastWeights, folder.BestWeights);
            }
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(folder.LastOptimizer + ".tmp");
            File.Move(folder.LastOptimizer + ".tmp", folder.LastOptimizer, overwrite: true);
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
        LoadWeights(folder.BestWeights, network, loss);
        network.eval();
        state = state with { Finished = true };
        folder.WriteState(state);
        optimizer.Dispose();
        return new TrainingResult(network, loss, state, folder.BestWeights);
    }

    static (double Loss, double SamplesPerSecond) TrainEpoch(
        TrainingJob job, int epoch, FusionNetwork network, FusionLoss loss, optim.Optimizer optimizer, IStageProgress progress, CancellationToken cancellationToken)
    {
        var config = job.Config;
        var data = job.Train;
        // Re-seeding per epoch makes dropout independent of how many epochs ran in this process (exact resume).
        manual_seed((long)(Seeds.Derive(job.Seed, "torch-epoch", epoch) >> 1));
        var plan = EpochPlan.Batches(data.Selection.Count, config.BatchSize, shuffle: true, dropLast: true, job.Seed, epoch);
        var clock = Stopwatch.StartNew();
        double sum = 0;
        long samples = 0;
        var parameters = network.parameters().Concat(loss.parameters()).ToList();
        network.train();
        using var step = progress.Step($"epoch {epoch} training", plan.Length * (long)config.BatchSize, "samples");
        foreach (var batch in BatchTensors.Stream(data.Split, data.Selection, data.Images, plan,
                     (host, b) => ImageView.Train(Seeds.Derive(job.Seed, "augment", epoch, host.StayIds[b])), config.PrefetchDepth, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var input = BatchTensors.ToFusionBatch(batch);
            var output = network.call(input);
            var value = loss.Compute(output.Probabilities, input.Labels!).Total;
            optimizer.zero_grad();
            value.backward();
            if (config.GradientClipNorm is double clip) nn.utils.clip_grad_norm_(parameters, clip);
            optimizer.step();
            sum += value.item<float>();
            samples += batch.Host.Size;
            step.Advance(batch.Host.Size);
        }
        return (sum / plan.Length, samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }

    static (double Loss, RankScores Scores) Validate(TrainingJob job, FusionNetwork network, FusionLoss loss, CancellationToken cancellationToken)
    {
        var data = job.Validation;
        var (predictions, meanLoss) = Predictor.Run(network, data.Split, data.Selection, data.Images, job.LabelNames, job.Config.BatchSize, job.Config.PrefetchDepth,
            (output, labels) => loss.Compute(output.Probabilities, labels).Total, cancellationToken);
        return (meanLoss, RankMetrics.Score(predictions.Probabilities, predictions.Truth, job.LabelNames.Count));
    }

    /// <summary>Copies a checkpoint (weights and sidecar), each file atomically.</summary>
    static void CopyCheckpoint(string from, string to)
    {
        foreach (var (source, target) in new[] { (from, to), (Checkpoint.SidecarPath(from), Checkpoint.SidecarPath(to)) })
        {
            File.Copy(source, target + ".tmp", overwrite: true);
            File.Move(target + ".tmp", target, overwrite: true);
        }
    }

    /// <summary>
    /// The submodules the configured head runs through. The reference optimises every parameter, but
    /// Adam skips parameters without a gradient, so leaving the idle heads out changes no result and
    /// keeps their zero moments out of memory and out of the saved optimizer state.
    /// </summary>
    static nn.Module TrainedModules(FusionNetwork network) => network.Config.Fusion switch
    {
        FusionType.UniEhr => new ModuleView(("ehr_model", network.EhrModel)),
        FusionType.UniCxr => new ModuleView(("cxr_model", network.CxrModel)),
        FusionType.Early => new ModuleView(("ehr_model", network.EhrModel), ("cxr_model", network.CxrModel), ("projection", network.Projection), ("fused_cls", network.FusedCls)),
        FusionType.MedFuseLstm => new ModuleView(("ehr_model", network.EhrModel), ("cxr_model", network.CxrModel), ("projection", network.Projection),
            ("lstm_fusion_layer", network.LstmFusionLayer), ("lstm_fused_cls", network.LstmFusedCls)),
        _ => new ModuleView(("ehr_model", network.EhrModel), ("cxr_model", network.CxrModel), ("projection", network.Projection),
            ("attn_layer", network.AttnLayer), ("attn_fused_cls", network.AttnFusedCls)),
    };

    /// <summary>A parameter-only view of some submodules of a network (never disposed: it does not own them).</summary>
    sealed class ModuleView : nn.Module
    {
        public ModuleView(params (string Name, nn.Module Module)[] parts) : base(nameof(ModuleView))
        {
            foreach (var (name, module) in parts) register_module(name, module);
        }
    }

    /// <summary>Loads a checkpoint of this run (network and loss parameters) into existing modules.</summary>
    static void LoadWeights(string path, FusionNetwork network, FusionLoss loss)
    {
        var (tensors, _) = SafeTensors.Read(path);
        StateDictImport.Load(network, tensors.Where(t => !t.Key.StartsWith(Checkpoint.LossPrefix, StringComparison.Ordinal)), path, strict: true);
        StateDictImport.Load(loss, tensors.Where(t => t.Key.StartsWith(Checkpoint.LossPrefix, StringComparison.Ordinal))
            .Select(t => KeyValuePair.Create(t.Key[Checkpoint.LossPrefix.Length..], t.Value)), path, strict: true);
        foreach (var (_, value) in tensors) value.Dispose();
    }

    static JsonObject ConfigDocument(TrainingJob job) => new()
    {
        ["config"] = JsonNode.Parse(job.Config.ToJson()),
        ["model"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(job.Config.ToModelConfig(job.LabelNames.Count, job.Train.Split.Features), TrainingConfig.Json)),
        ["labels"] = new JsonArray([.. job.LabelNames.Select(n => JsonValue.Create(n))]),
        ["seed"] = job.Seed,
        ["threads"] = job.Compute.Threads,
        ["train_samples"] = job.Train.Selection.Count,
        ["validation_samples"] = job.Validation.Selection.Count,
        ["encoders"] = new JsonArray([.. job.Encoders.Select(e => new JsonObject { ["prefix"] = e.Prefix, ["checkpoint"] = e.Checkpoint })]),
        ["provenance"] = job.Provenance.DeepClone(),
    };

    /// <summary>Writes checkpoints with the sidecar facts that do not change during a run.</summary>
    sealed class Checkpointing(ModelConfig model, LossKind lossKind, IReadOnlyList<string> labels, JsonObject? normalizer)
    {
        public void Save(string path, FusionNetwork network, FusionLoss loss, int epoch, double valLoss, RankScores scores)
        {
            // JSON has no NaN: a score that is undefined (a validation label with one class only) is left out.
            var metrics = new Dictionary<string, double>();
            foreach (var (name, value) in new[] { ("val_loss", valLoss), ("auroc_macro", scores.AurocMacro), ("auprc_macro", scores.AuprcMacro) })
                if (double.IsFinite(value)) metrics[name] = value;
            if (loss.LogVar is not null)
            {
                var s = loss.LogVar.detach().data<float>().ToArray();
                for (int k = 0; k < s.Length; k++) metrics[$"log_var.{labels[k]}"] = s[k];
            }
            Checkpoint.Save(path, network, loss, new CheckpointInfo(model, lossKind, labels, normalizer, metrics, ProductInfo.Version, epoch));
        }
    }
}
