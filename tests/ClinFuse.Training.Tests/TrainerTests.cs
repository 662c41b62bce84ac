using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Inference;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Recipes;
using ClinFuse.Training.Runs;
using static ClinFuse.Training.Tests.TrainingAssertions;
using static TorchSharp.torch;

namespace ClinFuse.Training.Tests;

// libtorch's seed and thread count are process-wide: tests that use them never run concurrently.
[Collection(LibTorchCollection.Name)]
public sealed class TrainerTests
{
    static FusionLoss LossOf(TrainingResult result) => ((FusionModel)result.Model).Loss;

    /// <summary>The per-epoch numbers that must not depend on timing.</summary>
    static IEnumerable<(int, double, double, double, double, double)> Numbers(TrainerState state) =>
        state.History.Select(e => (e.Epoch, e.TrainLoss, e.ValLoss, e.ValAuroc, e.ValAuprc, e.LearningRate));

    [Fact]
    public void Planted_signal_is_learned_loss_falls_and_validation_auroc_beats_chance()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 160, validation: 64);
        var result = Trainer.Run(data.Job(SyntheticData.SmallConfig() with { Epochs = 8 }, "run"), StageProgress.None);

        var history = result.State.History;
        Assert.Equal(8, history.Count);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss * 0.8, $"train loss {history[0].TrainLoss} → {history[^1].TrainLoss}");
        Assert.True(result.State.BestScore > 0.8, $"best validation AUROC {result.State.BestScore}");
        Assert.True(result.State.Finished);
        var folder = RunFolder.OpenForResume(Path.Combine(dir.Path, "run"));
        Assert.Equal(9, File.ReadAllLines(folder.CurvesCsv).Length);
        Assert.True(File.Exists(folder.CurvesJson));
        // The reloaded best weights reproduce the best epoch's validation score.
        var (predictions, _) = Predictor.Run(result.Model, data.ValSplit, ClinFuse.Training.Data.SampleSelection.Create(data.ValSplit, ClinFuse.Training.Data.DatasetMode.PartialEhrOnly), null, SyntheticData.LabelNames, 16, 2, runSeed: 7);
        var scores = ClinFuse.Training.Metrics.RankMetrics.Score(predictions.Probabilities, predictions.Truth, SyntheticData.Labels);
        Assert.Equal(result.State.BestScore, scores.AurocMacro, 12);
        Assert.Equal(history[result.State.BestEpoch - 1].ValAuroc, result.State.BestScore);
    }

    [Fact]
    public void A_validation_split_without_both_classes_trains_to_the_end_and_keeps_the_last_weights()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 48, validation: 1); // one sample: every label has one class
        var result = Trainer.Run(data.Job(SyntheticData.SmallConfig() with { Epochs = 2 }, "run"), StageProgress.None);

        Assert.True(result.State.Finished);
        Assert.All(result.State.History, e => Assert.True(double.IsNaN(e.ValAuroc)));
        var sidecar = File.ReadAllText(Checkpoint.SidecarPath(Path.Combine(dir.Path, "run", "best.safetensors")));
        Assert.DoesNotContain("auroc_macro", sidecar);
        Assert.Contains("val_loss", sidecar);
    }

    [Fact]
    public void Same_seed_gives_identical_runs_and_another_seed_does_not()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path);
        var config = SyntheticData.SmallConfig() with { Epochs = 2 };
        var a = Trainer.Run(data.Job(config, "a"), StageProgress.None);
        var b = Trainer.Run(data.Job(config, "b"), StageProgress.None);
        var c = Trainer.Run(data.Job(config, "c", seed: 8), StageProgress.None);
        Assert.Equal(Numbers(a.State), Numbers(b.State));
        AssertSameWeights(a.Network, b.Network);
        Assert.NotEqual(Numbers(a.State), Numbers(c.State));
    }

    [Theory]
    [InlineData(CompatMode.None, 2)]
    [InlineData(CompatMode.MedFuse, 2)]
    [InlineData(CompatMode.None, 0)]
    public void Resumed_run_equals_an_uninterrupted_one(CompatMode compat, int interruptedAfter)
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path);
        // Uncertainty loss: the log-variances and their own Adam group must resume too; a plateau patience of 0 makes the scheduler act.
        var config = SyntheticData.SmallConfig() with { Epochs = 4, Loss = LossKind.Uncertainty, Compat = compat, PlateauPatience = 0 };
        var whole = Trainer.Run(data.Job(config, "whole"), StageProgress.None);

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Run(data.Job(config, "split"), new CancelAfterEpoch(interruptedAfter, cancel), cancel.Token));
        Assert.Equal(interruptedAfter, RunFolder.OpenForResume(Path.Combine(dir.Path, "split")).ReadState().Epoch);
        var resumed = Trainer.Run(data.Job(config, "split", resume: true), StageProgress.None);

        Assert.Equal(compat == CompatMode.MedFuse ? 3 : 4, whole.State.History.Count);
        Assert.Equal(Numbers(whole.State), Numbers(resumed.State));
        Assert.Equal(whole.State.BestEpoch, resumed.State.BestEpoch);
        AssertSameWeights(whole.Network, resumed.Network);
        AssertSameWeights(LossOf(whole), LossOf(resumed));
        var lastWhole = Checkpoint.Load(Path.Combine(dir.Path, "whole", "last.safetensors"));
        var lastResumed = Checkpoint.Load(Path.Combine(dir.Path, "split", "last.safetensors"));
        AssertSameWeights(lastWhole.Network, lastResumed.Network);
    }

    [Fact]
    public void With_the_uncertainty_loss_validation_loss_is_the_bce_of_the_predictions_and_the_reference_criterion_only_under_medfuse_compat()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path); // 48 validation samples: three full batches of 16
        var config = SyntheticData.SmallConfig() with { Epochs = 3, Loss = LossKind.Uncertainty, Monitor = MonitorMetric.Loss };
        var result = Trainer.Run(data.Job(config, "run"), StageProgress.None);

        var loss = LossOf(result);
        Assert.True(loss.LogVar!.data<float>().ToArray().Any(s => Math.Abs(s) > 1e-3), "the log-variances moved");
        var selection = ClinFuse.Training.Data.SampleSelection.Create(data.ValSplit, ClinFuse.Training.Data.DatasetMode.PartialEhrOnly);
        var (plain, bce) = Predictor.Run(result.Model, data.ValSplit, selection, null, SyntheticData.LabelNames, 16, 2, runSeed: 7,
            Trainer.ValidationCriterion(result.Model, CompatMode.None));

        // The selected epoch's recorded validation loss is the BCE of the reloaded best weights' predictions ...
        Assert.Equal(result.State.History[result.State.BestEpoch - 1].ValLoss, bce, 6);
        Assert.Equal(MeanBce(plain.Probabilities, plain.Truth), bce, 5);
        // ... and the reference's criterion, with the weights e^{-s_k} and s_k/2 terms, is another number. With s_k = 2
        // it exceeds the BCE by 1 − (1 − e^{-2})·BCE, whatever training reached on this CPU.
        using (no_grad()) loss.LogVar!.fill_(2f);
        var (_, criterion) = Predictor.Run(result.Model, data.ValSplit, selection, null, SyntheticData.LabelNames, 16, 2, runSeed: 7,
            Trainer.ValidationCriterion(result.Model, CompatMode.MedFuse));
        using var probabilities = tensor(plain.Probabilities, [plain.StayIds.Length, SyntheticData.Labels]);
        using var truth = tensor(plain.Truth, [plain.StayIds.Length, SyntheticData.Labels]);
        using var weighted = loss.Compute(probabilities, truth).Total;
        Assert.Equal(weighted.item<float>(), criterion, 5);
        Assert.True(Math.Abs(criterion - bce) > 1e-3, $"criterion {criterion} vs BCE {bce}");
        Assert.Equal(1 - (1 - Math.Exp(-2)) * bce, criterion - bce, 4);
    }

    static double MeanBce(float[] p, float[] y) =>
        p.Zip(y, (pi, yi) => -(yi * Math.Max(Math.Log(pi), -100) + (1 - yi) * Math.Max(Math.Log(1 - pi), -100))).Average();

    [Fact]
    public void Gradient_clipping_changes_the_updates_and_keeps_training_finite()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 32, validation: 16);
        var config = SyntheticData.SmallConfig() with { Epochs = 1 };
        var free = Trainer.Run(data.Job(config, "free"), StageProgress.None);
        var clipped = Trainer.Run(data.Job(config with { GradientClipNorm = 1e-4 }, "clipped"), StageProgress.None);
        // Adam rescales updates by the gradient's magnitude, so clipping shows in the weights (through ε and the moment mix), not as divergence.
        Assert.True(double.IsFinite(clipped.State.History[0].ValLoss));
        var a = Weights(free.Network)["ehr_model.layer0.weight_ih_l0"];
        var b = Weights(clipped.Network)["ehr_model.layer0.weight_ih_l0"];
        Assert.False(a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public void Best_checkpoint_round_trips_exactly_with_its_sidecar()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path);
        var config = SyntheticData.SmallConfig() with { Epochs = 2, Loss = LossKind.Uncertainty };
        var result = Trainer.Run(data.Job(config, "run"), StageProgress.None);

        var loaded = Checkpoint.Load(result.BestCheckpoint);
        AssertSameWeights(result.Network, loaded.Network);
        AssertSameWeights(LossOf(result), loaded.Loss);
        Assert.Equal(SyntheticData.LabelNames, loaded.Info.LabelNames);
        Assert.Equal(result.State.BestEpoch, loaded.Info.Epoch);
        Assert.Equal(result.State.BestScore, loaded.Info.Metrics["auroc_macro"]);
        var s = LossOf(result).LogVar!.data<float>().ToArray();
        Assert.Equal(s[1], loaded.Info.Metrics["log_var.sepsis"], 6);
        Assert.NotEqual(0f, s[1]);
    }

    [Fact]
    public void Medfuse_order_trains_one_epoch_less_and_scores_the_untrained_model_first()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path);
        var config = SyntheticData.SmallConfig() with { Epochs = 3, Compat = CompatMode.MedFuse };
        var result = Trainer.Run(data.Job(config, "run"), StageProgress.None);
        Assert.Equal(2, result.State.History.Count);
        // The first validation precedes any training: it equals the initial model's loss, which the same seed rebuilds.
        var untrained = Trainer.Run(data.Job(config with { Epochs = 2 }, "one"), StageProgress.None);
        Assert.Equal(result.State.History[0].ValLoss, untrained.State.History[0].ValLoss);
        Assert.All(result.State.History, e => Assert.False(double.IsNaN(e.TrainLoss)));
    }

    [Fact]
    public void Pretrained_ehr_encoder_loads_into_an_attention_fusion_that_then_trains_on_images()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 48, validation: 32);
        var pretrained = Trainer.Run(data.Job(SyntheticData.SmallConfig() with { Epochs = 1 }, "ehr"), StageProgress.None);

        var fusionConfig = SyntheticData.SmallConfig(ModelKind.Attention) with { Epochs = 1, LearningRate = 1e-3 };
        var fusion = new FusionNetwork(fusionConfig.ToModelConfig(SyntheticData.Labels, SyntheticData.Features));
        var loaded = EncoderTransfer.Load(fusion, new EncoderInit(pretrained.BestCheckpoint, EncoderTransfer.Ehr));
        Assert.Contains("ehr_model.dense_layer.weight", loaded);
        Assert.All(loaded, name => Assert.StartsWith("ehr_model.", name));
        var source = Weights(pretrained.Network);
        var target = Weights(fusion);
        foreach (var name in loaded) Assert.Equal(source[name], target[name]);

        // Before any step, the fusion network's EHR path reproduces the pre-trained encoder exactly: the
        // same feature, and through the transferred head the same predictions. Only the new fusion layers
        // (Transformer, projection, attention head) start from random weights.
        pretrained.Network.eval();
        fusion.eval();
        var selection = SampleSelection.Create(data.ValSplit, DatasetMode.Partial);
        var plan = ClinFuse.Training.Batching.EpochPlan.Batches(selection.Count, 16, shuffle: false, dropLast: false, runSeed: 0, epoch: 0);
        foreach (var loadedBatch in ClinFuse.Training.Batching.BatchTensors.Stream(data.ValSplit, selection, data.ValImages, plan, (_, _) => ClinFuse.Preparation.Images.ImageView.Eval, 1, CancellationToken.None))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var batch = ClinFuse.Training.Batching.BatchTensors.ToFusionBatch(loadedBatch);
            var alone = ((FusionNetwork)pretrained.Network).call(batch);
            var inFusion = fusion.call(batch);
            Assert.Equal(alone.EhrFeature!.data<float>().ToArray(), inFusion.EhrFeature!.data<float>().ToArray());
            Assert.Equal(alone.Probabilities.data<float>().ToArray(), fusion.EhrModel.DenseLayer.call(inFusion.EhrFeature).sigmoid().data<float>().ToArray());
        }

        var job = data.Job(fusionConfig, "fusion") with { Encoders = [new EncoderInit(pretrained.BestCheckpoint, EncoderTransfer.Ehr)] };
        var result = Trainer.Run(job, StageProgress.None);
        Assert.Single(result.State.History);
        Assert.False(double.IsNaN(result.State.History[0].TrainLoss));
        // Nothing is frozen: fine-tuning moved the loaded encoder.
        Assert.False(Weights(result.Network)["ehr_model.layer0.weight_ih_l0"].AsSpan().SequenceEqual(source["ehr_model.layer0.weight_ih_l0"]));
    }

    [Theory]
    [InlineData(ModelKind.Attention)]
    [InlineData(ModelKind.MedFuseLstm)]
    [InlineData(ModelKind.Early)]
    public void With_the_series_residual_a_fusion_loaded_with_the_ehr_encoder_predicts_exactly_what_the_encoder_predicts_before_any_step(ModelKind kind)
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 48, validation: 32);
        var pretrained = Trainer.Run(data.Job(SyntheticData.SmallConfig() with { Epochs = 1 }, "ehr"), StageProgress.None);
        var encoder = new EncoderInit(pretrained.BestCheckpoint, EncoderTransfer.Ehr);
        var plain = SyntheticData.SmallConfig(kind) with { Epochs = 1, LearningRate = 1e-3 };
        var residual = plain with { Architecture = plain.Architecture with { SeriesResidual = true } };

        FusionNetwork Loaded(TrainingConfig config)
        {
            var network = new FusionNetwork(config.ToModelConfig(SyntheticData.Labels, SyntheticData.Features));
            EncoderTransfer.Load(network, encoder);
            network.eval();
            return network;
        }
        using var withResidual = Loaded(residual);
        using var without = Loaded(plain);
        pretrained.Network.eval();
        var selection = SampleSelection.Create(data.ValSplit, DatasetMode.Partial);
        var plan = ClinFuse.Training.Batching.EpochPlan.Batches(selection.Count, 16, shuffle: false, dropLast: false, runSeed: 0, epoch: 0);
        long withImage = 0, withoutImage = 0;
        bool plainDiffers = false;
        foreach (var loadedBatch in ClinFuse.Training.Batching.BatchTensors.Stream(data.ValSplit, selection, data.ValImages, plan, (_, _) => ClinFuse.Preparation.Images.ImageView.Eval, 1, CancellationToken.None))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var batch = ClinFuse.Training.Batching.BatchTensors.ToFusionBatch(loadedBatch);
            withImage += batch.ImageCount;
            withoutImage += batch.Size - batch.ImageCount;
            var expected = ((FusionNetwork)pretrained.Network).call(batch).Probabilities.data<float>().ToArray();
            // Every stay, with or without an image: the zeroed fusion head adds exactly nothing to the series head's logits.
            Assert.Equal(expected, withResidual.call(batch).Probabilities.data<float>().ToArray());
            plainDiffers |= !expected.SequenceEqual(without.call(batch).Probabilities.data<float>().ToArray());
        }
        Assert.True(withImage > 0 && withoutImage > 0);
        Assert.True(plainDiffers, "the paper's head starts from random weights, so it cannot reproduce the encoder");

        // Fine-tuning trains the fusion head away from zero, and the sidecar keeps the residual for evaluation.
        var job = data.Job(residual, "fusion") with { Encoders = [encoder] };
        var result = Trainer.Run(job, StageProgress.None);
        var head = Weights(result.Network).Where(w => w.Key.Contains("fused_cls", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(head);
        Assert.Contains(head, w => w.Value.Any(v => v != 0));
        var reloaded = Checkpoint.Load(result.BestCheckpoint);
        using var reloadedNetwork = reloaded.Network;
        using var reloadedLoss = reloaded.Loss;
        Assert.True(reloadedNetwork.Config.SeriesResidual);
    }

    [Fact]
    public void The_series_residual_applies_to_fusion_heads_only()
    {
        var ehrOnly = SyntheticData.SmallConfig(ModelKind.UniEhr);
        var error = Assert.Throws<ClinFuseException>(() => (ehrOnly with { Architecture = ehrOnly.Architecture with { SeriesResidual = true } }).Validate());
        Assert.Contains("series residual", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_linear_probe_trains_the_head_alone_and_leaves_the_transferred_encoder_and_its_batch_norm_statistics_untouched()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 48, validation: 32);
        // Small batches and a few epochs settle the batch-norm statistics, so that the frozen encoder's features do not saturate the head.
        var cxr = SyntheticData.SmallConfig(ModelKind.UniCxr) with { Epochs = 1, BatchSize = 4, LearningRate = 1e-3, TrainData = DatasetMode.Paired };
        var pretrained = Trainer.Run(data.Job(cxr with { Epochs = 4 }, "cxr"), StageProgress.None);
        var source = Weights(pretrained.Network);
        EncoderInit[] encoder = [new EncoderInit(pretrained.BestCheckpoint, EncoderTransfer.Cxr)];

        var probed = Weights(Trainer.Run(data.Job(cxr with { LinearProbe = true }, "probe") with { Encoders = encoder }, StageProgress.None).Network);
        var backbone = source.Keys.Where(k => k.StartsWith("cxr_model.vision_backbone.", StringComparison.Ordinal)).ToList();
        Assert.Contains("cxr_model.vision_backbone.bn1.running_mean", backbone);
        foreach (var name in backbone) Assert.Equal(source[name], probed[name]);
        Assert.False(probed["cxr_model.classifier.0.weight"].AsSpan().SequenceEqual(source["cxr_model.classifier.0.weight"]));

        // The same run without the probe moves the encoder's weights and its batch-norm statistics.
        var tuned = Weights(Trainer.Run(data.Job(cxr, "tuned") with { Encoders = encoder }, StageProgress.None).Network);
        Assert.False(tuned["cxr_model.vision_backbone.conv1.weight"].AsSpan().SequenceEqual(source["cxr_model.vision_backbone.conv1.weight"]));
        Assert.False(tuned["cxr_model.vision_backbone.bn1.running_mean"].AsSpan().SequenceEqual(source["cxr_model.vision_backbone.bn1.running_mean"]));
    }

    [Fact]
    public void Frozen_encoder_epochs_train_only_the_fusion_layers_then_thaw_the_encoders_and_resume_exactly()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 48, validation: 32);
        var ehr = Trainer.Run(data.Job(SyntheticData.SmallConfig() with { Epochs = 1 }, "ehr"), StageProgress.None);
        var cxr = Trainer.Run(data.Job(SyntheticData.SmallConfig(ModelKind.UniCxr) with { Epochs = 1, BatchSize = 4, TrainData = DatasetMode.Paired }, "cxr"), StageProgress.None);
        EncoderInit[] encoders = [new(ehr.BestCheckpoint, EncoderTransfer.Ehr), new(cxr.BestCheckpoint, EncoderTransfer.Cxr)];
        var source = Weights(ehr.Network).Where(p => p.Key.StartsWith("ehr_model.", StringComparison.Ordinal))
            .Concat(Weights(cxr.Network).Where(p => p.Key.StartsWith("cxr_model.", StringComparison.Ordinal))).ToDictionary();
        Assert.Contains("cxr_model.vision_backbone.bn1.running_mean", source.Keys);
        var fusion = SyntheticData.SmallConfig(ModelKind.Attention) with { LearningRate = 1e-3, FrozenEncoderEpochs = 1 };

        // One frozen epoch: every encoder tensor (batch-norm statistics included) is the transferred one; the fusion layers moved.
        var frozen = Trainer.Run(data.Job(fusion with { Epochs = 1 }, "frozen") with { Encoders = encoders }, StageProgress.None);
        var after = Weights(frozen.Network);
        foreach (var (name, value) in source) Assert.Equal(value, after[name]);
        // The fusion network as the trainer initialises it, before the encoders load.
        manual_seed((long)(ClinFuse.Core.Randomness.Seeds.Derive(7, "torch-init") >> 1));
        using var untrained = new FusionNetwork(fusion.ToModelConfig(SyntheticData.Labels, SyntheticData.Features));
        Assert.False(after["attn_fused_cls.0.weight"].AsSpan().SequenceEqual(Weights(untrained)["attn_fused_cls.0.weight"]));

        // The next epoch thaws them: the encoders train, and an interrupted run resumes to the same weights.
        var thawed = fusion with { Epochs = 3 };
        var whole = Trainer.Run(data.Job(thawed, "whole") with { Encoders = encoders }, StageProgress.None);
        var last = Checkpoint.Load(Path.Combine(dir.Path, "whole", "last.safetensors"));
        var lastWeights = Weights(last.Network);
        Assert.False(lastWeights["ehr_model.layer0.weight_ih_l0"].AsSpan().SequenceEqual(source["ehr_model.layer0.weight_ih_l0"]));
        Assert.False(lastWeights["cxr_model.vision_backbone.bn1.running_mean"].AsSpan().SequenceEqual(source["cxr_model.vision_backbone.bn1.running_mean"]));

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Run(data.Job(thawed, "split") with { Encoders = encoders }, new CancelAfterEpoch(1, cancel), cancel.Token));
        var resumed = Trainer.Run(data.Job(thawed, "split", resume: true) with { Encoders = encoders }, StageProgress.None);
        Assert.Equal(Numbers(whole.State), Numbers(resumed.State));
        AssertSameWeights(last.Network, Checkpoint.Load(Path.Combine(dir.Path, "split", "last.safetensors")).Network);
    }

    [Fact]
    public void Frozen_encoder_epochs_apply_to_fusion_heads_started_from_pre_trained_encoders_only()
    {
        var error = Assert.Throws<ClinFuseException>(() => (SyntheticData.SmallConfig(ModelKind.UniEhr) with { FrozenEncoderEpochs = 1 }).Validate());
        Assert.Contains("frozen encoder epochs", error.Message, StringComparison.Ordinal);
        (SyntheticData.SmallConfig(ModelKind.MedFuseLstm) with { FrozenEncoderEpochs = 2 }).Validate();

        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 32, validation: 16);
        var noEncoder = Assert.Throws<ClinFuseException>(() => Trainer.Run(data.Job(SyntheticData.SmallConfig(ModelKind.Attention) with { FrozenEncoderEpochs = 1 }, "random"), StageProgress.None));
        Assert.Contains("none is loaded", noEncoder.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "random")));
    }

    [Fact]
    public void A_linear_probe_of_anything_but_the_cxr_encoder_is_refused()
    {
        var error = Assert.Throws<ClinFuseException>(() => (SyntheticData.SmallConfig(ModelKind.Attention) with { LinearProbe = true }).Validate());
        Assert.Contains("linear probe", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoder_of_another_architecture_is_refused_with_a_clear_message()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 32, validation: 16);
        var pretrained = Trainer.Run(data.Job(SyntheticData.SmallConfig() with { Epochs = 1 }, "ehr"), StageProgress.None);
        var wider = SyntheticData.SmallConfig(ModelKind.Attention) with { Architecture = SyntheticData.SmallConfig().Architecture with { EhrHidden = 32 } };
        var fusion = new FusionNetwork(wider.ToModelConfig(SyntheticData.Labels, SyntheticData.Features));
        var error = Assert.Throws<ClinFuseException>(() => EncoderTransfer.Load(fusion, new EncoderInit(pretrained.BestCheckpoint, EncoderTransfer.Ehr)));
        Assert.Contains("does not fit", error.Message);
    }

    [Fact]
    public void Run_folder_misuse_is_reported_not_crashed()
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 32, validation: 16);
        var config = SyntheticData.SmallConfig() with { Epochs = 1 };
        Trainer.Run(data.Job(config, "run"), StageProgress.None);
        Assert.Contains("not empty", Assert.Throws<ClinFuseException>(() => Trainer.Run(data.Job(config, "run"), StageProgress.None)).Message);
        Assert.Contains("already finished", Assert.Throws<ClinFuseException>(() => Trainer.Run(data.Job(config, "run", resume: true), StageProgress.None)).Message);
        Assert.Contains("another configuration", Assert.Throws<ClinFuseException>(() => Trainer.Run(data.Job(config with { Epochs = 2 }, "run", resume: true), StageProgress.None)).Message);
        Assert.Contains("fewer than one batch", Assert.Throws<ClinFuseException>(() => Trainer.Run(data.Job(config with { BatchSize = 64 }, "big"), StageProgress.None)).Message);
    }
}
