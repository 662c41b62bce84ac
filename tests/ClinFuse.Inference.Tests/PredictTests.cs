using System.Globalization;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Evaluation;
using ClinFuse.Inference.Prediction;
using ClinFuse.Training.Evaluation;
using ClinFuse.Tests.Inference;
using ClinFuse.Training.Tests.Evaluation;

namespace ClinFuse.Inference.Tests;

public sealed class PredictTests
{
    static readonly TrainedRunsFixture Runs = TrainedRunsFixture.Shared;
    static readonly ComputeSettings Compute = new(1);

    static Dictionary<string, double> Evaluated(string run, string name)
    {
        var copy = Runs.CopyRun(run, name);
        var evaluated = RunEvaluation.Run(new RunEvaluationRequest(copy, Split.Test, new ScoringSettings(0, 1), Compute));
        var set = PredictionsFile.Read(evaluated.PredictionsPath);
        return set.SampleIds.Select((id, i) => (id, p: set.Probabilities[0][i])).ToDictionary(x => x.id, x => x.p);
    }

    [Theory]
    [InlineData(true, PredictSourceKind.Cohort)]
    [InlineData(false, PredictSourceKind.Cohort)]
    [InlineData(true, PredictSourceKind.Mimic)]
    public void Predicting_the_cohort_test_split_from_raw_data_equals_evaluate(bool attention, PredictSourceKind kind)
    {
        var run = attention ? Runs.AttentionRun : Runs.EhrRun;
        var expected = Evaluated(run, $"eval-{attention}-{kind}");
        var output = Runs.Scratch($"predict-{kind}-{attention}");
        var request = kind == PredictSourceKind.Cohort
            ? new PredictRequest(run, kind, Runs.CohortFolder, output, Compute, Split: Split.Test)
            : new PredictRequest(run, kind, Runs.MimicIvFolder, output, Compute, Split: Split.Test, CxrRoot: Runs.MimicCxrFolder);
        var result = PredictStage.Run(request, StageProgress.None);

        Assert.Equal(expected.Count, result.Predictions.Count);
        Assert.Empty(result.ImageProblems);
        foreach (var p in result.Predictions)
            Assert.Equal(expected[p.Id], p.Probabilities[0], 1e-6);
        if (attention) Assert.Contains(result.Predictions, p => p.HadImage);
        Assert.DoesNotContain(result.Predictions, p => p.HadImage && !attention);

        // The CSV is the evaluate format with the known truth; evaluate reads it back.
        var written = PredictionsFile.Read(Path.Combine(output, PredictionsOutput.CsvFile));
        Assert.Equal(result.Predictions.Select(p => p.Id), written.SampleIds);
        var cohort = CohortStore.Open(Runs.CohortFolder).Samples(ClinicalTask.InHospitalMortality, Split.Test);
        Assert.Equal(cohort.Select(s => (byte)s.Labels[0]), written.Truth[0]);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, PredictionsOutput.JsonFile)))!;
        Assert.Equal(result.Predictions.Count, json["stays"]!.AsArray().Count);
        Assert.Equal(result.Predictions[0].Probabilities[0], json["stays"]![0]!["probabilities"]!["y_true"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_real_mimic_iv_folder_is_predicted_as_its_extracted_cohort_store()
    {
        // The MIMIC-IV demo (tests/fixtures/mimic-iv-demo) has no chest X-rays: the series-only run.
        var demo = Fixtures.Path("mimic-iv-demo");
        var cohort = (await Extractor.RunAsync(new ExtractionOptions { MimicIv = demo, Out = Runs.Scratch("demo-cohort"), Seed = 7 }, Compute, StageProgress.None)).Folder;
        var fromStore = PredictStage.Run(new PredictRequest(Runs.EhrRun, PredictSourceKind.Cohort, cohort, Runs.Scratch("predict-demo-store"), Compute), StageProgress.None);
        var output = Runs.Scratch("predict-demo-mimic");
        var fromFolder = PredictStage.Run(new PredictRequest(Runs.EhrRun, PredictSourceKind.Mimic, demo, output, Compute), StageProgress.None);

        Assert.Equal(CohortStore.Open(cohort).Samples(ClinicalTask.InHospitalMortality, null).Count, fromFolder.Predictions.Count);
        Assert.Equal(fromStore.Predictions.Select(p => p.Id), fromFolder.Predictions.Select(p => p.Id));
        for (int i = 0; i < fromStore.Predictions.Count; i++)
            Assert.Equal(fromStore.Predictions[i].Probabilities[0], fromFolder.Predictions[i].Probabilities[0], 1e-9);
        Assert.StartsWith("mimic:", JsonNode.Parse(File.ReadAllText(Path.Combine(output, PredictionsOutput.JsonFile)))!["source"]!.GetValue<string>());
    }

    [Fact]
    public void A_folder_that_is_not_mimic_iv_is_refused_with_one_message_and_no_output()
    {
        var notMimic = Runs.Scratch("not-mimic");
        Directory.CreateDirectory(Path.Combine(notMimic, "icu"));
        var output = Runs.Scratch("predict-not-mimic");
        var error = Assert.Throws<ClinFuseException>(() => PredictStage.Run(new PredictRequest(Runs.EhrRun, PredictSourceKind.Mimic, notMimic, output, Compute), StageProgress.None));
        Assert.Contains("--mimic-iv", error.Message);
        Assert.Contains("is not a MIMIC-IV folder", error.Message);
        Assert.False(Directory.Exists(output));
        Assert.Contains("--mimic-iv", Assert.Throws<ClinFuseException>(() =>
            PredictStage.Run(new PredictRequest(Runs.EhrRun, PredictSourceKind.Mimic, Runs.Scratch("no-such-folder"), output, Compute), StageProgress.None)).Message);
    }

    [Fact]
    public void Predicting_a_prepared_split_equals_evaluate()
    {
        var expected = Evaluated(Runs.AttentionRun, "eval-prepared");
        var result = PredictStage.Run(new PredictRequest(Runs.AttentionRun, PredictSourceKind.Prepared, Runs.StoreFolder, Runs.Scratch("predict-prepared"), Compute, Split: Split.Test), StageProgress.None);
        Assert.Equal(expected.Count, result.Predictions.Count);
        foreach (var p in result.Predictions) Assert.Equal(expected[p.Id], p.Probabilities[0], 1e-6);
    }

    [Fact]
    public void One_stay_from_a_csv_and_a_jpeg_equals_its_prediction_in_the_cohort_and_has_no_truth()
    {
        var cohort = CohortStore.Open(Runs.CohortFolder);
        var sample = cohort.Samples(ClinicalTask.InHospitalMortality, Split.Test).First(s => s.HasImage);
        var csv = EpisodeFiles.Write(cohort, sample, Runs.Scratch($"{sample.StayId}_timeseries.csv"));
        var jpeg = Path.Combine(cohort.Manifest.Config["mimic_cxr"]!.GetValue<string>(), sample.CxrPath!);
        var expected = Evaluated(Runs.AttentionRun, "eval-one");

        var output = Runs.Scratch("predict-one");
        var result = PredictStage.Run(new PredictRequest(Runs.AttentionRun, PredictSourceKind.Episode, csv, output, Compute, Image: jpeg, Id: "new-patient"), StageProgress.None);

        var p = Assert.Single(result.Predictions);
        Assert.True(p.HadImage);
        Assert.Equal(expected[sample.StayId.ToString(CultureInfo.InvariantCulture)], p.Probabilities[0], 1e-5);
        Assert.NotEmpty(p.Attention);
        var attention = p.Attention[0];
        Assert.Equal(1.0, attention.Weights[0].Sum(), 1e-5);
        Assert.True(attention.Weights[0][1] > 0, "with an image the series token attends to it");
        var lines = File.ReadAllLines(Path.Combine(output, PredictionsOutput.CsvFile));
        Assert.Equal(PredictionsFile.FormatLine, lines[0]);
        Assert.StartsWith("new-patient,,", lines[^1]);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(output, PredictionsOutput.JsonFile)))!["stays"]![0]!["truth"]);

        // Without the image the same stay is predicted series-only: the image token gets no attention.
        var seriesOnly = PredictStage.Run(new PredictRequest(Runs.AttentionRun, PredictSourceKind.Episode, csv, Runs.Scratch("predict-one-noimage"), Compute), StageProgress.None);
        var q = Assert.Single(seriesOnly.Predictions);
        Assert.False(q.HadImage);
        Assert.Equal(0.0, q.Attention[0].Weights[0][1], 1e-7);
    }

    [Fact]
    public void Bad_sources_get_one_message_and_leave_no_output()
    {
        string Error(PredictRequest request) => Assert.Throws<ClinFuseException>(() => PredictStage.Run(request, StageProgress.None)).Message;
        var output = Runs.Scratch("predict-bad");

        Assert.Contains("Episode file not found", Error(new PredictRequest(Runs.EhrRun, PredictSourceKind.Episode, Runs.Scratch("none.csv"), output, Compute)));
        var csv = Runs.Scratch("bad_timeseries.csv");
        File.WriteAllText(csv, "Time,a,b\n1,2,3\n");
        Assert.Contains("header", Error(new PredictRequest(Runs.EhrRun, PredictSourceKind.Episode, csv, output, Compute)));
        var cohort = CohortStore.Open(Runs.CohortFolder);
        var good = EpisodeFiles.Write(cohort, cohort.Samples(ClinicalTask.InHospitalMortality, Split.Test)[0], Runs.Scratch("good_timeseries.csv"));
        Assert.Contains("does not take images", Error(new PredictRequest(Runs.EhrRun, PredictSourceKind.Episode, good, output, Compute, Image: good)));
        var notImage = Runs.Scratch("not-an-image.jpg");
        File.WriteAllText(notImage, "hello");
        Assert.Contains("not-an-image.jpg", Error(new PredictRequest(Runs.AttentionRun, PredictSourceKind.Episode, good, output, Compute, Image: notImage)));
        Assert.Contains("--split", Error(new PredictRequest(Runs.EhrRun, PredictSourceKind.Prepared, Runs.StoreFolder, output, Compute)));
        Assert.Contains("Run folder not found", Error(new PredictRequest(Runs.Scratch("no-run"), PredictSourceKind.Cohort, Runs.CohortFolder, output, Compute)));
        Assert.False(Directory.Exists(output));
    }
}
