using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Tests.Preparation;

/// <summary>The real MIMIC-IV demo extracted once (default mode, seeded split) for the prepare tests.</summary>
public sealed class DemoCohort : IDisposable
{
    readonly TempFolder temp = Fixtures.TempFolder("clinfuse-prepare-");

    public DemoCohort()
    {
        var options = new ExtractionOptions { MimicIv = Fixtures.Path("mimic-iv-demo"), Out = temp.Combine("cohort"), Seed = 7 };
        Folder = Extractor.RunAsync(options, new ComputeSettings(2), StageProgress.None).GetAwaiter().GetResult().Folder;
    }

    public string Folder { get; }

    public string Scratch(string name) => temp.Combine(name);

    public void Dispose() => temp.Dispose();
}

public sealed class PrepareStageTests(DemoCohort demo) : IClassFixture<DemoCohort>
{
    static readonly ImagePreprocessing Images = new();

    PrepareSummary Prepare(ClinicalTask task, string name, NormalizerSource normalizer = NormalizerSource.FitTraining, bool force = false) =>
        PrepareStage.Run(new PrepareOptions(demo.Folder, task, demo.Scratch(name), null, Images, normalizer, force), new ComputeSettings(2), StageProgress.None);

    [Theory]
    [InlineData(ClinicalTask.InHospitalMortality, 1)]
    [InlineData(ClinicalTask.Phenotyping, 25)]
    public void Every_cohort_sample_becomes_one_prepared_sample_with_its_labels(ClinicalTask task, int labelCount)
    {
        var summary = Prepare(task, $"prepared-{task}");
        var cohort = CohortStore.Open(demo.Folder);
        var store = PreparedStore.Open(summary.Folder);
        Assert.Equal(labelCount, store.Labels.Labels.Count);
        foreach (var (split, name) in new[] { (Split.Train, "train"), (Split.Validation, "val"), (Split.Test, "test") })
        {
            var expected = cohort.Samples(task, split);
            using var prepared = store.OpenSplit(split);
            Assert.Equal(name, Splits.Name(split));
            Assert.Equal(expected.Count, prepared.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                var sample = prepared.Get(i);
                Assert.Equal(expected[i].StayId, sample.StayId);
                Assert.Equal(expected[i].Labels.Select(v => (float)v), sample.Labels);
                Assert.Equal(-1, sample.ImageSlot); // the demo has no chest X-rays
                int steps = (int)(EpisodeWindow.EndHours(task, expected[i].PeriodHours) + 1 - 1e-6);
                Assert.Equal(steps * 76, sample.Series.Length);
            }
        }
        Assert.True(summary.Splits.Sum(s => s.Samples) > 0);
    }

    [Fact]
    public void Series_equal_the_discretizer_applied_to_the_cohort_episode_with_the_saved_normalizer()
    {
        var summary = Prepare(ClinicalTask.Phenotyping, "prepared-check");
        var cohort = CohortStore.Open(demo.Folder);
        var normalizer = Normalizer.Load(Path.Combine(summary.Folder, "normalizer.json"));
        var discretizer = new Discretizer();
        using var test = PreparedStore.Open(summary.Folder).OpenSplit(Split.Test);
        var samples = cohort.Samples(ClinicalTask.Phenotyping, Split.Test);
        for (int i = 0; i < samples.Count; i++)
        {
            var observations = cohort.Series(samples[i]).SelectMany(p => p.Values.Select((v, ch) => (p.Hours, ch, v)))
                .Where(o => !string.IsNullOrEmpty(o.v)).Select(o => new SeriesObservation(o.Hours, o.ch, o.v!));
            var episode = SeriesEpisode.FromObservations(observations, policy: InvalidValuePolicy.TreatAsMissing);
            var expected = discretizer.Transform(episode, samples[i].PeriodHours, normalizer);
            Assert.Equal(expected.Values, test.Get(i).Series);
        }
    }

    [Fact]
    public void Fitted_normalizer_standardises_the_training_split()
    {
        var summary = Prepare(ClinicalTask.Phenotyping, "prepared-fit");
        var standardized = Normalizer.Load(Path.Combine(summary.Folder, "normalizer.json")).StandardizedColumns;
        using var train = PreparedStore.Open(summary.Folder).OpenSplit(Split.Train);
        foreach (int column in standardized)
        {
            double sum = 0, sumSq = 0;
            long n = 0;
            for (int i = 0; i < train.Count; i++)
            {
                var series = train.Get(i).Series;
                for (int row = column; row < series.Length; row += 76)
                {
                    sum += series[row];
                    sumSq += series[row] * (double)series[row];
                    n++;
                }
            }
            double mean = sum / n, std = Math.Sqrt((sumSq - n * mean * mean) / (n - 1));
            Assert.InRange(mean, -1e-3, 1e-3);
            if (std > 0) Assert.InRange(std, 1 - 1e-3, 1 + 1e-3); // a constant column keeps std 0
        }
    }

    [Fact]
    public void Reference_normalizer_mode_uses_the_published_statistics()
    {
        var summary = Prepare(ClinicalTask.InHospitalMortality, "prepared-reference", NormalizerSource.Reference);
        var saved = Normalizer.Load(Path.Combine(summary.Folder, "normalizer.json"));
        Assert.Equal(Normalizer.Reference.Means.ToArray(), saved.Means.ToArray());
        Assert.Equal(Normalizer.Reference.Stds.ToArray(), saved.Stds.ToArray());
    }

    [Fact]
    public void A_rerun_with_the_same_inputs_is_skipped_and_a_foreign_folder_is_never_overwritten()
    {
        var first = Prepare(ClinicalTask.InHospitalMortality, "prepared-rerun");
        Assert.False(first.Skipped);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(first.Folder, "train.split"));
        var second = Prepare(ClinicalTask.InHospitalMortality, "prepared-rerun");
        Assert.True(second.Skipped);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(first.Folder, "train.split")));

        var foreign = demo.Scratch("not-empty");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "keep.txt"), "user data");
        var e = Assert.Throws<ClinFuseException>(() => Prepare(ClinicalTask.InHospitalMortality, "not-empty"));
        Assert.Contains("not empty", e.Message);
        Assert.Equal("user data", File.ReadAllText(Path.Combine(foreign, "keep.txt")));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(foreign)!, ".not-empty.partial-*"));
    }

    [Fact]
    public void A_folder_that_is_not_a_cohort_store_gets_a_clear_error()
    {
        var empty = demo.Scratch("empty-cohort");
        Directory.CreateDirectory(empty);
        var e = Assert.Throws<ClinFuseException>(() => PrepareStage.Run(
            new PrepareOptions(empty, ClinicalTask.Phenotyping, demo.Scratch("out-x"), null, Images), new ComputeSettings(1), StageProgress.None));
        Assert.Contains("not a cohort store", e.Message);
    }
}
