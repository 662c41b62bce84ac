using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Evaluation;
using ClinFuse.Evaluation.Report;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Robustness;
using ClinFuse.Training.Tests.Evaluation;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Training.Tests.Robustness;

[Collection(LibTorchCollection.Name)]
public sealed class RobustnessTests
{
    static readonly TrainedRunsFixture Runs = TrainedRunsFixture.Shared;
    static readonly ComputeSettings OneThread = new(1);

    static RobustnessRequest Request(RobustnessProtocol protocol, string run, params int[] levels) =>
        new([run], protocol, levels, null, 11, new ScoringSettings(20, 1), OneThread) { StatisticsSamples = 50 };

    [Theory]
    [InlineData(Split.Train)]
    [InlineData(Split.Test)]
    public void Zero_noise_reproduces_the_prepared_split_exactly(Split split)
    {
        var store = PreparedStore.Open(Runs.StoreFolder);
        using var noisy = NoisyData.Open(store, 3, StageProgress.None, 50);
        var path = Runs.Scratch($"zero-noise-{split}.split");
        noisy.WriteSplit(split, 0, 3, path, OneThread, StageProgress.None);
        Assert.Equal(File.ReadAllBytes(store.SplitPath(split)), File.ReadAllBytes(path));
    }

    [Fact]
    public void Noise_changes_the_stays_with_enough_time_steps_and_no_others()
    {
        var store = PreparedStore.Open(Runs.StoreFolder);
        using var noisy = NoisyData.Open(store, 3, StageProgress.None, 50);
        Assert.All(noisy.SeriesStatistics.Stds.Where(double.IsFinite), s => Assert.True(s >= 0));
        Assert.NotNull(noisy.PixelStatistics);
        var cohort = CohortStore.Open(Runs.CohortFolder);
        var samples = cohort.Samples(ClinicalTask.InHospitalMortality, Split.Train);
        using var clean = store.OpenSplit(Split.Train);
        foreach (double fraction in new[] { 0.1, 0.5 })
        {
            var path = Runs.Scratch($"noise-{fraction}.split");
            noisy.WriteSplit(Split.Train, fraction, 3, path, OneThread, StageProgress.None);
            using var perturbed = PreparedSplit.Open(path);
            Assert.Equal(clean.Count, perturbed.Count);
            int eligible = 0, changed = 0;
            for (int i = 0; i < clean.Count; i++)
            {
                var a = clean.Get(i);
                var b = perturbed.Get(i);
                Assert.Equal(a.StayId, b.StayId);
                Assert.Equal(a.Labels, b.Labels);
                Assert.Equal(a.ImageSlot, b.ImageSlot);
                Assert.Equal(a.Series.Length, b.Series.Length);
                // Observation times of the raw episode: floor(fraction × times) of them get noise.
                int times = cohort.Series(samples[i]).Where(p => p.Values.Any(v => !string.IsNullOrEmpty(v))).Select(p => p.Hours).Distinct().Count();
                bool differs = !a.Series.AsSpan().SequenceEqual(b.Series);
                if ((int)Math.Floor(fraction * times) == 0) Assert.False(differs, $"stay {a.StayId} has {times} time steps: none is perturbed at {fraction:P0}");
                else
                {
                    eligible++;
                    if (differs) changed++;
                }
            }
            // Perturbed steps after the 48-hour window leave the input unchanged; most stays still change.
            Assert.True(eligible > 0);
            Assert.True(changed >= eligible / 2, $"{changed} of {eligible} stays changed at {fraction:P0}");
        }
    }

    [Fact]
    public void Clean_train_writes_every_level_the_report_reads_and_a_rerun_skips_them()
    {
        var run = Runs.CopyRun(Runs.EhrRun, "clean-train");
        var outcomes = RobustnessStage.Run(Request(RobustnessProtocol.CleanTrain, run, 0, 40), StageProgress.None);
        Assert.Equal([0, 40], outcomes.Select(o => o.Level));
        Assert.All(outcomes, o => Assert.False(o.Skipped));
        foreach (var level in new[] { "0", "40" })
        {
            var folder = Path.Combine(run, "robustness", RobustnessLayout.CleanTrainNoisyTest, level);
            Assert.True(File.Exists(Path.Combine(folder, "metrics.json")));
            Assert.True(File.Exists(Path.Combine(folder, "predictions-test.csv")));
            Assert.False(File.Exists(Path.Combine(folder, "test.split")));
        }
        // At 0 % the noisy test split is the prepared one: the predictions are those of a clean evaluation.
        var clean = RunEvaluation.Run(new RunEvaluationRequest(run, Split.Test, new ScoringSettings(20, 1), OneThread));
        var zero = PredictionsFile.Read(Path.Combine(run, "robustness", RobustnessLayout.CleanTrainNoisyTest, "0", "predictions-test.csv"));
        var reference = PredictionsFile.Read(clean.PredictionsPath);
        Assert.Equal(reference.SampleIds, zero.SampleIds);
        Assert.Equal(reference.Probabilities[0], zero.Probabilities[0]);
        Assert.Equal("Time series only", zero.Metadata.Model);

        var loaded = RunFolders.Load(run);
        Assert.Equal([0, 40], loaded.Robustness.Where(r => r.Protocol == RobustnessLayout.CleanTrainNoisyTest).Select(r => r.Level));

        var metrics = Path.Combine(run, "robustness", RobustnessLayout.CleanTrainNoisyTest, "40", "metrics.json");
        var written = File.GetLastWriteTimeUtc(metrics);
        var again = RobustnessStage.Run(Request(RobustnessProtocol.CleanTrain, run, 0, 40, 60), StageProgress.None);
        Assert.Equal([true, true, false], again.Select(o => o.Skipped));
        Assert.Equal(written, File.GetLastWriteTimeUtc(metrics));
        Assert.Equal(outcomes[1].Metrics.Summary.Auroc.Macro, again[1].Metrics.Summary.Auroc.Macro);

        File.WriteAllText(metrics, "{ truncated"); // an unreadable result is computed again, not skipped to
        var repaired = RobustnessStage.Run(Request(RobustnessProtocol.CleanTrain, run, 40), StageProgress.None);
        Assert.False(Assert.Single(repaired).Skipped);
        Assert.Equal(outcomes[1].Metrics.Summary.Auroc.Macro, MetricsJson.Read(metrics).Summary.Auroc.Macro);
        var forced = RobustnessStage.Run(Request(RobustnessProtocol.CleanTrain, run, 40) with { Force = true }, StageProgress.None);
        Assert.False(Assert.Single(forced).Skipped);
    }

    [Fact]
    public void Noisy_train_trains_a_model_per_level_into_the_report_layout_and_resumes()
    {
        var run = Runs.CopyRun(Runs.EhrRun, "noisy-train");
        var outDir = Runs.Scratch("noisy-train-out");
        var request = Request(RobustnessProtocol.NoisyTrain, run, 30) with { OutFolder = outDir };
        var outcome = Assert.Single(RobustnessStage.Run(request, StageProgress.None));
        var folder = Path.Combine(outDir, "robustness", RobustnessLayout.NoisyTrainTest, "30");
        Assert.Equal(folder, outcome.Folder);
        Assert.True(File.Exists(Path.Combine(folder, "model", "best.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder, "data", "train.split")));
        Assert.Contains("\"noise_percent\": 30", File.ReadAllText(Path.Combine(folder, "model", "config.json")));
        var set = PredictionsFile.Read(Path.Combine(folder, "predictions-test.csv"));
        Assert.Contains(set.Metadata.Extra!, kv => kv.Key == "protocol" && kv.Value == RobustnessLayout.NoisyTrainTest);
        Assert.False(Directory.Exists(Path.Combine(run, "robustness")));

        // The trained model of a level whose metrics were lost is reused, not trained again.
        var best = Path.Combine(folder, "model", "best.safetensors");
        var trainedAt = File.GetLastWriteTimeUtc(best);
        File.Delete(Path.Combine(folder, "metrics.json"));
        var rerun = Assert.Single(RobustnessStage.Run(request, StageProgress.None));
        Assert.False(rerun.Skipped);
        Assert.Equal(trainedAt, File.GetLastWriteTimeUtc(best));
        Assert.Equal(outcome.Metrics.Summary.Auroc.Macro, rerun.Metrics.Summary.Auroc.Macro);
        Assert.True(Assert.Single(RobustnessStage.Run(request, StageProgress.None)).Skipped);
    }

    [Fact]
    public void Missing_image_tests_the_fusion_model_without_images_outside_the_report_protocol_folders()
    {
        var run = Runs.CopyRun(Runs.AttentionRun, "missing-image");
        var outcome = Assert.Single(RobustnessStage.Run(Request(RobustnessProtocol.MissingImage, run), StageProgress.None));
        Assert.Null(outcome.Level);
        Assert.Equal(Path.Combine(run, ClinFuse.Evaluation.RobustnessLayout.MissingImageFolder), outcome.Folder);
        var set = PredictionsFile.Read(Path.Combine(outcome.Folder, "predictions-test.csv"));
        Assert.Equal("Attention + CLAHE", set.Metadata.Model);
        using var test = PreparedStore.Open(Runs.StoreFolder).OpenSplit(Split.Test);
        Assert.Equal(test.Count, set.Count);

        Assert.Contains("removing images tests nothing", Assert.Throws<ClinFuseException>(() =>
            RobustnessStage.Run(Request(RobustnessProtocol.MissingImage, Runs.EhrRun), StageProgress.None)).Message);
    }

    [Fact]
    public void Bad_requests_fail_before_any_work()
    {
        Assert.Contains("outside 0-100", Assert.Throws<ClinFuseException>(() =>
            RobustnessStage.Run(Request(RobustnessProtocol.CleanTrain, Runs.EhrRun, 10, 120), StageProgress.None)).Message);
        Assert.Contains("No noise level", Assert.Throws<ClinFuseException>(() =>
            RobustnessStage.Run(Request(RobustnessProtocol.CleanTrain, Runs.EhrRun), StageProgress.None)).Message);
        var missing = Runs.Scratch("not-a-run");
        var request = Request(RobustnessProtocol.CleanTrain, Runs.EhrRun, 10) with { Runs = [Runs.EhrRun, missing] };
        Assert.Contains("Run folder not found", Assert.Throws<ClinFuseException>(() => RobustnessStage.Run(request, StageProgress.None)).Message);
        Assert.False(Directory.Exists(Path.Combine(Runs.EhrRun, "robustness")));
    }
}
