using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Training.Recipes;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Tests;

// libtorch's seed and thread count are process-wide: tests that use them never run concurrently.
[Collection(LibTorchCollection.Name)]
public sealed class TrainingRunTests
{
    const string SmallConfig = """
        { "LearningRate": 0.01, "Epochs": 2, "Architecture": { "EhrHidden": 16, "EhrLayers": 1, "TransformerHeads": 2, "TransformerFeedForward": 32 } }
        """;

    static string Store(TempFolder dir)
    {
        var store = dir.Combine("store");
        Directory.CreateDirectory(store);
        SyntheticData.WriteSplit(store, "train", 48, 1);
        SyntheticData.WriteSplit(store, "val", 32, 2);
        File.WriteAllText(Path.Combine(store, PreparedStore.LabelsFile), """{ "task": "phenotyping", "labels": ["shock", "sepsis"] }""");
        File.WriteAllText(Path.Combine(store, PreparedStore.NormalizerFile), """{ "means": [0], "stds": [1] }""");
        return store;
    }

    [Fact]
    public void Ehr_pretraining_over_a_store_writes_a_complete_run_folder()
    {
        using var dir = Fixtures.TempFolder();
        var store = Store(dir);
        var configFile = dir.Combine("small.json");
        File.WriteAllText(configFile, SmallConfig);
        var request = new TrainingRequest(store, dir.Combine("run"), 3, new ComputeSettings(1))
        {
            ConfigFile = configFile,
            Overrides = new TrainingOverrides { Epochs = 1 },
        };
        var result = TrainingRun.Pretrain(request, cxr: false, StageProgress.None);

        Assert.Single(result.State.History);
        foreach (var file in new[] { "config.json", "best.safetensors", "best.json", "last.safetensors", "last.json", "last.optimizer", "state.json", "curves.csv", "curves.json" })
            Assert.True(File.Exists(dir.Combine("run", file)), file);
        var predictions = ClinFuse.Evaluation.PredictionsFile.Read(dir.Combine("run", ClinFuse.Training.Evaluation.RunEvaluation.PredictionsFileName(ClinFuse.Core.Tasks.Split.Validation)));
        Assert.Equal(["shock", "sepsis"], predictions.Labels);
        Assert.Equal(32, predictions.Count);
        Assert.Equal(("phenotyping", "Time series only", "val"), (predictions.Metadata.Task, predictions.Metadata.Model, predictions.Metadata.Split));
        var config = File.ReadAllText(dir.Combine("run", "config.json"));
        Assert.Contains("\"UniEhr\"", config);
        Assert.Contains("\"PartialEhrOnly\"", config);
        Assert.Contains("normalizer.json", config);
        Assert.Contains("sha256", config);
        var sidecar = File.ReadAllText(dir.Combine("run", "best.json"));
        Assert.Contains("sepsis", sidecar);
        Assert.Contains("normalizer.json", sidecar);

        // The run records what it is; evaluation reads that rather than working it out from the store again.
        var run = ClinFuse.Training.Evaluation.TrainedRun.Open(dir.Combine("run"));
        var recorded = Assert.IsType<ClinFuse.Core.Runs.ModelDescriptor>(run.RecordedDescriptor);
        Assert.Equal(("Time series only", "UniEhr", "phenotyping", false), (recorded.Name, recorded.Model, recorded.Task, recorded.Clahe));
        Assert.Empty(recorded.Encoders);
        var prepared = ClinFuse.Preparation.PreparedStore.Open(store);
        Assert.Equal(recorded, run.Descriptor(prepared) with { Encoders = recorded.Encoders });
        // A run folder written before descriptors were recorded gets the same one from its configuration and store.
        var legacy = run with { RecordedDescriptor = null };
        Assert.Equal(recorded.Name, legacy.Descriptor(prepared).Name);
    }

    [Fact]
    public void Image_runs_without_an_image_cache_and_broken_stores_fail_with_clear_messages()
    {
        using var dir = Fixtures.TempFolder();
        var store = Store(dir);
        var request = new TrainingRequest(store, dir.Combine("run"), 3, new ComputeSettings(1)) { Overrides = new TrainingOverrides { Epochs = 1 } };
        Assert.Contains("no image cache", Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(request, cxr: true, StageProgress.None)).Message);
        Assert.Contains("no image cache", Assert.Throws<ClinFuseException>(() => TrainingRun.Train(request, null, StageProgress.None)).Message);
        Assert.False(Directory.Exists(dir.Combine("run")));

        Assert.Contains("Both --config and --recipe", Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Pretrain(request with { Recipe = "pheno-finetune", ConfigFile = "x.json" }, cxr: false, StageProgress.None)).Message);
        Assert.Contains("Unknown recipe", Assert.Throws<ClinFuseException>(() =>
            TrainingRun.Pretrain(request with { Recipe = "pheno-magic" }, cxr: false, StageProgress.None)).Message);

        File.Delete(Path.Combine(store, "val.split"));
        Assert.Contains("val.split", Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(request, cxr: false, StageProgress.None)).Message);
        File.WriteAllText(Path.Combine(store, PreparedStore.LabelsFile), """{ "task": "phenotyping" """);
        Assert.Contains("labels.json", Assert.Throws<ClinFuseException>(() => PreparedStore.Open(store)).Message);
        File.Delete(Path.Combine(store, PreparedStore.LabelsFile));
        Assert.Contains("not a prepared store", Assert.Throws<ClinFuseException>(() => PreparedStore.Open(store)).Message);
    }
}
