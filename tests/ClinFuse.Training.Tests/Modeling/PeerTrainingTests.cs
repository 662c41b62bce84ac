using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Inference;
using ClinFuse.Training.Metrics;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Recipes;
using static ClinFuse.Training.Tests.TrainingAssertions;

namespace ClinFuse.Training.Tests.Modeling;

// libtorch's seed and thread count are process-wide: tests that use them never run concurrently.
[Collection(LibTorchCollection.Name)]
public sealed class PeerTrainingTests
{
    static TrainingConfig Peer(ModelKind model, int epochs = 2) => SyntheticData.SmallConfig(model) with
    {
        Epochs = epochs,
        LearningRate = 1e-3,
        Architecture = SyntheticData.SmallConfig().Architecture with { EhrLayers = 2 },
        Peer = new PeerSettings { LayerAfter = -1 },
    };

    static double ValidationAuroc(TrainableModel model, SyntheticData.Set data, TrainingConfig config)
    {
        var selection = SampleSelection.Create(data.ValSplit, config.ValidationData);
        var (predictions, _) = Predictor.Run(model, data.ValSplit, selection, data.ValImages, SyntheticData.LabelNames, 16, 2, runSeed: 7);
        return RankMetrics.Score(predictions.Probabilities, predictions.Truth, SyntheticData.Labels).AurocMacro;
    }

    [Theory]
    [InlineData(ModelKind.Mmtm)]
    [InlineData(ModelKind.Daft)]
    [InlineData(ModelKind.Tokens)]
    [InlineData(ModelKind.Late)]
    [InlineData(ModelKind.DrFuse)]
    public void A_peer_model_trains_and_its_checkpoint_restores_the_same_weights_and_validation_score(ModelKind model)
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 48, validation: 32);
        var config = Peer(model);
        var result = Trainer.Run(data.Job(config, "run"), StageProgress.None);
        Assert.Equal(2, result.State.History.Count);
        Assert.All(result.State.History, e => Assert.True(double.IsFinite(e.TrainLoss) && double.IsFinite(e.ValLoss)));

        using var loaded = ModelFactory.Load(model, result.BestCheckpoint);
        var peer = Assert.IsType<PeerModel>(loaded);
        Assert.Equal(model.ToString(), peer.Peer.Config.Kind.ToString());
        AssertSameWeights(result.Network, loaded.Network);
        Assert.Equal(result.State.BestScore, ValidationAuroc(loaded, data, config), 12);
        if (peer.Peer is LateFusionNetwork late)
            Assert.All(late.Weights, w => Assert.Contains(LateWeightSearch.Grid, g => Math.Abs(g - w) < 1e-6));
    }

    [Theory]
    [InlineData(ModelKind.Mmtm)]
    [InlineData(ModelKind.DrFuse)]
    public void An_interrupted_run_resumes_to_the_uninterrupted_result(ModelKind model)
    {
        using var dir = Fixtures.TempFolder();
        using var data = new SyntheticData.Set(dir.Path, train: 32, validation: 16);
        var config = Peer(model);
        var whole = Trainer.Run(data.Job(config, "whole"), StageProgress.None);
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Run(data.Job(config, "split"), new CancelAfterEpoch(1, cancel), cancel.Token));
        var resumed = Trainer.Run(data.Job(config, "split", resume: true), StageProgress.None);
        Assert.Equal(whole.State.History.Select(e => (e.TrainLoss, e.ValLoss, e.ValAuroc)), resumed.State.History.Select(e => (e.TrainLoss, e.ValLoss, e.ValAuroc)));
        AssertSameWeights(whole.Network, resumed.Network);
    }

    [Fact]
    public void Late_weights_follow_the_modality_that_ranks_each_class()
    {
        // Class 0: the EHR ranks perfectly and the CXR backwards; class 1 the other way round.
        int n = 8;
        var truth = new float[2 * n];
        var ehr = new float[2 * n];
        var cxr = new float[2 * n];
        for (int i = 0; i < n; i++)
        {
            float y = i % 2;
            truth[2 * i] = truth[2 * i + 1] = y;
            ehr[2 * i] = 0.2f + 0.6f * y;
            cxr[2 * i] = 0.8f - 0.6f * y;
            ehr[2 * i + 1] = 0.8f - 0.6f * y;
            cxr[2 * i + 1] = 0.2f + 0.6f * y;
        }
        var hasCxr = Enumerable.Repeat(true, n).ToArray();
        var weights = LateWeightSearch.Choose(ehr, cxr, hasCxr, truth, 2);
        // Every weight on the ranking modality's side ranks perfectly; the first of equal scores wins.
        Assert.Equal([0.6f, 0.1f], weights);
        // A class with one outcome only keeps the even weight.
        Assert.Equal(0.5f, LateWeightSearch.Choose(ehr, cxr, hasCxr, new float[2 * n], 2)[0]);
        Assert.Throws<ArgumentException>(() => LateWeightSearch.Choose(ehr, cxr, hasCxr, truth, 3));
    }

    [Fact]
    public void Peer_settings_are_checked_named_and_mapped_onto_the_network_configuration()
    {
        var late = Peer(ModelKind.Late);
        Assert.Contains("no Uncertainty loss", Assert.Throws<ClinFuseException>(() => (late with { Loss = LossKind.Uncertainty }).Validate()).Message);
        Assert.Contains("got 7", Assert.Throws<ClinFuseException>(() => (late with { Peer = new PeerSettings { LayerAfter = 7 } }).Validate()).Message);
        Assert.Contains("2 EHR layers", Assert.Throws<ClinFuseException>(() => (Peer(ModelKind.Daft) with { Architecture = new ArchitectureSettings { EhrLayers = 1 } }).Validate()).Message);
        Assert.Contains("peer network", Assert.Throws<ClinFuseException>(() => Peer(ModelKind.Mmtm).ToModelConfig(2, 8)).Message);

        Assert.Equal(TimeSqueeze.ValidSteps, Peer(ModelKind.Mmtm).ToPeerConfig(25, 76).Squeeze);
        Assert.Equal(TimeSqueeze.IncludingPadding, (Peer(ModelKind.Mmtm) with { Compat = CompatMode.MedFuse }).ToPeerConfig(25, 76).Squeeze);
        var scripts = Peer(ModelKind.Daft) with { Peer = new PeerSettings() };
        Assert.Equal(3, scripts.ToPeerConfig(25, 76).LayerAfter);
        Assert.Equal(4, scripts.ToPeerConfig(1, 76).LayerAfter);
        Assert.Equal(4, (scripts with { Model = ModelKind.Mmtm }).ToPeerConfig(25, 76).LayerAfter);

        var drfuse = Peer(ModelKind.DrFuse) with { Peer = new PeerSettings { DrFuseHeads = 8, DrFuseLayers = 2 } };
        Assert.Equal((8, 2), (drfuse.ToPeerConfig(25, 76).EhrHeads, drfuse.ToPeerConfig(25, 76).EhrTransformerLayers));
        Assert.Contains("no MedFuse-compatible form", Assert.Throws<ClinFuseException>(() => (drfuse with { Compat = CompatMode.MedFuse }).Validate()).Message);
        Assert.Contains("multiple of its attention heads (7)", Assert.Throws<ClinFuseException>(() => (drfuse with { Peer = new PeerSettings { DrFuseHeads = 7 } }).Validate()).Message);
        Assert.Equal("DrFuse", ModelNames.For(drfuse, clahe: false));

        Assert.Equal("MMTM", ModelNames.For(Peer(ModelKind.Mmtm), clahe: false));
        Assert.Equal("Late fusion + CLAHE", ModelNames.For(late, clahe: true));
        Assert.Equal("Missing-modality tokens + uncertainty loss", ModelNames.For(Peer(ModelKind.Tokens) with { Loss = LossKind.Uncertainty }, clahe: false));
    }
}
