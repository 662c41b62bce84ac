using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Models.Networks;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;

namespace ClinFuse.Training.Tests;

/// <summary>
/// What a run reads must be what it was made from (docs/reliability.md): damaged splits, encoders of
/// the wrong kind, task, state or normaliser, and stores changed after training are refused by name.
/// </summary>
[Collection(LibTorchCollection.Name)]
public sealed class ProvenanceTests
{
    const string SmallConfig = """
        { "LearningRate": 0.01, "Epochs": 1, "Architecture": { "EhrHidden": 16, "EhrLayers": 1, "TransformerHeads": 2, "TransformerFeedForward": 32 } }
        """;

    static string Store(TempFolder dir, string name, string labels = """["shock", "sepsis"]""", string normalizer = """{ "means": [0], "stds": [1] }""")
    {
        var store = dir.Combine(name);
        Directory.CreateDirectory(store);
        SyntheticData.WriteSplit(store, "train", 48, 1);
        SyntheticData.WriteSplit(store, "val", 32, 2);
        SyntheticData.WriteSplit(store, "test", 32, 3);
        File.WriteAllText(Path.Combine(store, PreparedStore.LabelsFile), $$"""{ "task": "phenotyping", "labels": {{labels}} }""");
        File.WriteAllText(Path.Combine(store, PreparedStore.NormalizerFile), normalizer);
        return store;
    }

    static TrainingRequest Request(TempFolder dir, string store, string run)
    {
        var config = dir.Combine("small.json");
        File.WriteAllText(config, SmallConfig);
        return new TrainingRequest(store, dir.Combine(run), 3, new ComputeSettings(1)) { ConfigFile = config };
    }

    [Fact]
    public void A_split_whose_index_is_garbage_is_refused_before_any_row_is_read()
    {
        using var dir = Fixtures.TempFolder();
        var (path, _) = SyntheticData.WriteSplit(dir.Path, "train", 10, 1);
        var bytes = File.ReadAllBytes(path);
        new Random(5).NextBytes(bytes.AsSpan(24, 200)); // the header survives, the sample index does not
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ClinFuseException>(() => PreparedSplit.Open(path));
        Assert.Contains($"{path} is corrupt", e.Message);
        Assert.Contains("clinfuse prepare", e.Hint);
    }

    [Fact]
    public void A_split_that_differs_from_the_prepare_manifest_is_refused_by_training()
    {
        using var dir = Fixtures.TempFolder();
        var store = Store(dir, "store");
        new StageManifest { Stage = "prepare" }.WithOutputs(store).Write(store);
        var split = Path.Combine(store, "train.split");
        var bytes = File.ReadAllBytes(split);
        bytes[^1] ^= 0x55; // one float of the last row: same size, other content
        File.WriteAllBytes(split, bytes);

        var e = Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(Request(dir, store, "run"), cxr: false, StageProgress.None));
        Assert.Contains($"The prepared store {store} is damaged: {split} has changed since it was written", e.Message);
        Assert.False(Directory.Exists(dir.Combine("run")));
    }

    [Fact]
    public void Encoders_are_checked_for_kind_labels_finished_state_and_normaliser_and_evaluation_for_a_changed_store()
    {
        using var dir = Fixtures.TempFolder();
        var store = Store(dir, "store");
        var ehr = Request(dir, store, "ehr");
        TrainingRun.Pretrain(ehr, cxr: false, StageProgress.None);

        // An EHR pre-training run is no CXR encoder.
        var wrongKind = Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Train(Request(dir, store, "a") with { CxrEncoderRun = ehr.Out }, ModelKind.UniEhr, StageProgress.None));
        Assert.StartsWith($"--cxr-encoder: {ehr.Out} trained the UniEhr model, not the CXR encoder.", wrongKind.Message);
        Assert.Contains("pretrain --encoder cxr", wrongKind.Hint);

        // DrFuse has encoders of its own: a pre-trained LSTM does not fit it, and nothing is written.
        var drfuse = Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Train(Request(dir, store, "drfuse") with { EhrEncoderRun = ehr.Out }, ModelKind.DrFuse, StageProgress.None));
        Assert.StartsWith("DrFuse has encoders of its own", drfuse.Message);
        Assert.Contains("without --ehr-encoder and --cxr-encoder", drfuse.Hint);
        Assert.False(Directory.Exists(dir.Combine("drfuse")));

        // Another task's labels.
        var other = Store(dir, "other", labels: """["pneumonia", "shock"]""");
        var wrongTask = Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Train(Request(dir, other, "b") with { EhrEncoderRun = ehr.Out }, ModelKind.UniEhr, StageProgress.None));
        Assert.Contains("was trained for other labels", wrongTask.Message);

        // Other normaliser statistics.
        var renormalised = Store(dir, "renormalised", normalizer: """{ "means": [1], "stds": [2] }""");
        var wrongNormaliser = Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Train(Request(dir, renormalised, "c") with { EhrEncoderRun = ehr.Out }, ModelKind.UniEhr, StageProgress.None));
        Assert.Contains("normalizer.json differs", wrongNormaliser.Message);

        // The same run, accepted, then an unfinished copy of it refused with the pretrain hint.
        TrainingRun.Train(Request(dir, store, "d") with { EhrEncoderRun = ehr.Out }, ModelKind.UniEhr, StageProgress.None);
        var state = Path.Combine(ehr.Out, "state.json");
        File.WriteAllText(state, File.ReadAllText(state).Replace("\"Finished\": true", "\"Finished\": false"));
        var unfinished = Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Train(Request(dir, store, "e") with { EhrEncoderRun = ehr.Out }, ModelKind.UniEhr, StageProgress.None));
        Assert.Contains("has not finished", unfinished.Message);
        Assert.Contains("clinfuse pretrain --resume", unfinished.Hint);
        foreach (var refused in new[] { "a", "b", "c", "e" }) Assert.False(Directory.Exists(dir.Combine(refused)));

        // Evaluating run d after its store changed is refused, unless asked for.
        var request = new RunEvaluationRequest(dir.Combine("d"), Split.Test, new ScoringSettings(0), new ComputeSettings(1));
        RunEvaluation.Run(request);
        SyntheticData.WriteSplit(store, "val", 32, 99);
        var changed = Assert.Throws<ClinFuseException>(() => RunEvaluation.Run(request));
        Assert.Contains($"changed after the run in {dir.Combine("d")} was trained: {Path.Combine(store, "val.split")} is not the file", changed.Message);
        Assert.Contains("--allow-store-change", changed.Hint);
        Assert.NotNull(RunEvaluation.Run(request with { AllowStoreChange = true }).Metrics);
    }

    [Fact]
    public void A_resume_with_another_setting_names_that_setting()
    {
        using var dir = Fixtures.TempFolder();
        var store = Store(dir, "store");
        var request = Request(dir, store, "run");
        TrainingRun.Pretrain(request, cxr: false, StageProgress.None);
        var before = File.ReadAllText(Path.Combine(request.Out, "state.json"));
        var e = Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(
            request with { Resume = true, Overrides = new TrainingOverrides { LearningRate = 0.5 } }, cxr: false, StageProgress.None));
        Assert.Contains("config.LearningRate is 0.01 in the run, 0.5 in this command", e.Message);
        Assert.Equal(before, File.ReadAllText(Path.Combine(request.Out, "state.json")));
    }

    [Fact]
    public void An_out_of_range_option_is_a_usage_error_before_anything_is_written()
    {
        using var dir = Fixtures.TempFolder();
        var store = Store(dir, "store");
        var request = Request(dir, store, "run") with { Overrides = new TrainingOverrides { Epochs = 0 } };
        var e = Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(request, cxr: false, StageProgress.None));
        Assert.Equal((ExitCodes.Usage, "--epochs must be at least 1, got 0."), (e.ExitCode, e.Message));
        Assert.False(Directory.Exists(request.Out));
    }
}
