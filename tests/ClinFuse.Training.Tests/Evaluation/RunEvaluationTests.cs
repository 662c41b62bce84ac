using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Evaluation;
using ClinFuse.Evaluation.Report;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Training.Tests.Evaluation;

[Collection(LibTorchCollection.Name)]
public sealed class RunEvaluationTests
{
    static readonly TrainedRunsFixture Runs = TrainedRunsFixture.Shared;

    [Fact]
    public void Evaluating_a_run_writes_predictions_of_every_test_stay_and_metrics_the_report_reads()
    {
        var run = Runs.CopyRun(Runs.AttentionRun, "evaluated-attention");
        var result = RunEvaluation.Run(new RunEvaluationRequest(run, Split.Test, new ScoringSettings(50, 3), new ComputeSettings(1)));

        Assert.Equal(Path.Combine(run, "predictions-test.csv"), result.PredictionsPath);
        var set = PredictionsFile.Read(result.PredictionsPath);
        Assert.Equal("in-hospital-mortality", set.Metadata.Task);
        Assert.Equal("test", set.Metadata.Split);
        // The synthetic store is prepared with CLAHE (the default): the paper's "Attention + CLAHE" row.
        Assert.Equal("Attention + CLAHE", set.Metadata.Model);
        using var test = PreparedStore.Open(Runs.StoreFolder).OpenSplit(Split.Test);
        Assert.Equal(test.Count, set.Count);
        for (int i = 0; i < test.Count; i++)
        {
            var sample = test.Get(i);
            Assert.Equal(sample.StayId.ToString(System.Globalization.CultureInfo.InvariantCulture), set.SampleIds[i]);
            Assert.Equal((byte)sample.Labels[0], set.Truth[0][i]);
            Assert.InRange(set.Probabilities[0][i], 0, 1);
        }

        var loaded = RunFolders.Load(run);
        Assert.Equal("ihm", loaded.Task);
        Assert.Equal("Attention + CLAHE", loaded.Model);
        Assert.Equal(test.Count, loaded.Main.Metrics.Samples);
        Assert.Equal(50, loaded.Main.Metrics.Bootstrap.Resamples);
        // The same predictions scored by the Evaluation library directly give the same file.
        Assert.Equal(MetricsJson.Serialize(Evaluator.Evaluate(set, 50, 3, source: result.PredictionsPath)), MetricsJson.Serialize(loaded.Main.Metrics));
    }

    [Fact]
    public void The_validation_split_gets_its_own_metrics_file_and_leaves_metrics_json_alone()
    {
        var run = Runs.CopyRun(Runs.EhrRun, "evaluated-val");
        var result = RunEvaluation.Run(new RunEvaluationRequest(run, Split.Validation, new ScoringSettings(0, 1), new ComputeSettings(1)));
        Assert.Equal(Path.Combine(run, "metrics-val.json"), result.MetricsPath);
        Assert.False(File.Exists(Path.Combine(run, "metrics.json")));
        Assert.Equal("Time series only", PredictionsFile.Read(result.PredictionsPath).Metadata.Model);
        Assert.Null(result.Metrics.Summary.Auroc.Macro.CiLower);
    }

    [Fact]
    public void Bad_run_folders_are_reported_with_what_is_wrong()
    {
        string Error(string folder) => Assert.Throws<ClinFuseException>(() =>
            RunEvaluation.Run(new RunEvaluationRequest(folder, Split.Test, new ScoringSettings(10, 1), new ComputeSettings(1)))).Message;

        Assert.Contains("Run folder not found", Error(Runs.Scratch("no-such-run")));
        var empty = Runs.Scratch("empty-run");
        Directory.CreateDirectory(empty);
        Assert.Contains("config.json is missing", Error(empty));

        var noBest = Runs.CopyRun(Runs.EhrRun, "no-best");
        File.Delete(Path.Combine(noBest, "best.safetensors"));
        Assert.Contains("no best checkpoint", Error(noBest));

        var unfinished = Runs.CopyRun(Runs.EhrRun, "unfinished");
        var state = Path.Combine(unfinished, "state.json");
        File.WriteAllText(state, File.ReadAllText(state).Replace("\"Finished\": true", "\"Finished\": false"));
        Assert.Contains("has not finished", Error(unfinished));

        var broken = Runs.CopyRun(Runs.EhrRun, "broken-config");
        File.WriteAllText(Path.Combine(broken, "config.json"), "{ \"config\": { \"Model\": \"Quantum\" } }");
        Assert.Contains("not a valid run configuration", Error(broken));

        var moved = Runs.CopyRun(Runs.EhrRun, "moved-store");
        var config = Path.Combine(moved, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace(Runs.StoreFolder.Replace("\\", "\\\\"), Runs.Scratch("gone-store")));
        Assert.Contains("no longer exists", Error(moved));

        Assert.Contains("--bootstrap", Assert.Throws<ClinFuseException>(() =>
            RunEvaluation.Run(new RunEvaluationRequest(Runs.EhrRun, Split.Test, new ScoringSettings(-1, 1), new ComputeSettings(1)))).Message);
    }

    [Theory]
    [InlineData(ModelKind.Attention, LossKind.Bce, false, "Attention")]
    [InlineData(ModelKind.Attention, LossKind.Bce, true, "Attention + CLAHE")]
    [InlineData(ModelKind.Attention, LossKind.Uncertainty, false, "Attention + uncertainty loss")]
    [InlineData(ModelKind.Attention, LossKind.UncertaintySummed, true, "Attention + Uncertainty + CLAHE")]
    [InlineData(ModelKind.MedFuseLstm, LossKind.Bce, false, "MedFuse")]
    [InlineData(ModelKind.UniEhr, LossKind.Bce, true, "Time series only")]
    [InlineData(ModelKind.UniCxr, LossKind.Bce, false, "Image only")]
    public void Model_names_are_the_paper_rows(ModelKind model, LossKind loss, bool clahe, string expected)
    {
        var config = new TrainingConfig
        {
            Model = model,
            Loss = loss,
            TrainData = model == ModelKind.UniEhr ? DatasetMode.PartialEhrOnly : model == ModelKind.UniCxr ? DatasetMode.Paired : DatasetMode.Partial,
        };
        var name = ModelNames.For(config, clahe);
        Assert.Equal(expected, name);
        Assert.Contains(PaperResults.TableI.Concat(PaperResults.TableII).Concat(PaperResults.TableIII).SelectMany(r => r.ModelNames), n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
    }
}
