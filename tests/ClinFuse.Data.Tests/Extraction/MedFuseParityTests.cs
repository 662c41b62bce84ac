using System.Text.Json.Nodes;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>
/// <c>--compat medfuse --split medfuse --export medfuse</c> on the demo against the reference's
/// own outputs (tests/fixtures/extract-golden): file contents by the golden digests, counts by counts.json.
/// </summary>
public sealed class MedFuseParityTests(MedFuseDemo demo) : IClassFixture<MedFuseDemo>
{
    static readonly List<GoldenDigest.Entry> Golden = GoldenDigest.Manifest(Fixtures.Path("extract-golden", "manifest.csv"));
    static readonly JsonNode Counts = JsonNode.Parse(File.ReadAllText(Fixtures.Path("extract-golden", "counts.json")))!["stages"]!;

    string ExportPath(GoldenDigest.Entry e) => e.Stage switch
    {
        _ when e.Stage.StartsWith("5_", StringComparison.Ordinal) || e.Stage.StartsWith("6_", StringComparison.Ordinal) => Path.Combine(demo.Export, e.File),
        "3_extract_episodes" => Path.Combine(demo.Export, "root", e.Partition, e.SubjectId, e.File),
        _ => Path.Combine(demo.Export, "root", e.File),
    };

    public static TheoryData<string> TaskFiles() =>
        [.. Golden.Where(e => e.Stage.StartsWith("5_", StringComparison.Ordinal) || e.Stage.StartsWith("6_", StringComparison.Ordinal)).Select(e => e.File)];

    [Theory]
    [MemberData(nameof(TaskFiles))]
    public void Task_files_equal_the_reference_cell_for_cell(string file)
    {
        var entry = Golden.Single(e => e.File == file);
        var path = ExportPath(entry);
        Assert.True(File.Exists(path), $"missing {path}");
        Assert.Equal(entry.Sorted, GoldenDigest.Sorted(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Every_episode_series_equals_the_reference_cell_for_cell()
    {
        var series = Golden.Where(e => e.Stage == "3_extract_episodes" && e.File.EndsWith("_timeseries.csv", StringComparison.Ordinal)).ToList();
        Assert.Equal(112, series.Count);
        var differing = series.Where(e => !File.Exists(ExportPath(e)) || GoldenDigest.Sorted(File.ReadAllBytes(ExportPath(e))) != e.Sorted)
            .Select(e => $"{e.SubjectId}/{e.File}").ToList();
        Assert.Empty(differing);
    }

    [Fact]
    public void All_stays_equals_the_reference_including_pandas_float_parsing_of_los()
    {
        var entry = Golden.Single(e => e.File == "all_stays.csv");
        Assert.Equal(entry.Sorted, GoldenDigest.Sorted(File.ReadAllBytes(ExportPath(entry))));
    }

    [Theory]
    [InlineData("in-hospital-mortality/test/listfile.csv")]
    [InlineData("in-hospital-mortality/test_listfile.csv")]
    [InlineData("phenotyping/train/listfile.csv")]
    [InlineData("phenotyping/train_listfile.csv")]
    public void Listfiles_with_a_deterministic_reference_order_are_byte_identical(string file)
    {
        var entry = Golden.Single(e => e.File == file);
        Assert.Equal(entry.Raw, GoldenDigest.Raw(File.ReadAllBytes(ExportPath(entry))));
    }

    [Fact]
    public void Duplicated_row_of_two_stays_charting_the_same_time_is_reproduced()
    {
        var expected = File.ReadAllText(Fixtures.Path("extract-golden", "ihm_10016742_episode2_timeseries.csv"));
        var actual = File.ReadAllText(Path.Combine(demo.Export, "in-hospital-mortality", "train", "10016742_episode2_timeseries.csv"));
        Assert.Equal(expected, actual);
        Assert.Equal(2, actual.Split('\n').Count(l => l.StartsWith("19.85,", StringComparison.Ordinal)));
    }

    [Fact]
    public void Cohort_flow_counts_equal_the_reference()
    {
        var s1 = Counts["1_extract_subjects"]!;
        foreach (var (step, name) in new[] { ("START", "cohort.icustays"), ("REMOVE ICU TRANSFERS", "cohort.remove_transfers"), ("REMOVE MULTIPLE STAYS PER ADMIT", "cohort.remove_multistay"), ("REMOVE PATIENTS AGE < 18", "cohort.remove_age") })
        {
            Assert.Equal((long)s1[step]!["stay_ids"]!, demo.Result.Manifest.Counts[name + ".stays"]);
            Assert.Equal((long)s1[step]!["hadm_ids"]!, demo.Result.Manifest.Counts[name + ".admissions"]);
            Assert.Equal((long)s1[step]!["subject_ids"]!, demo.Result.Manifest.Counts[name + ".subjects"]);
        }
        var s3 = Counts["3_extract_episodes"]!;
        Assert.Equal((long)s3["timeseries_rows_total"]!, demo.Result.Manifest.Counts["episode_rows"]);
        Assert.Equal((long)s3["events_after_cleaning"]!, ExtractionResources.Variables.Sum(v => demo.Result.Manifest.Counts["variable." + v]));
        foreach (var v in ExtractionResources.Variables)
            Assert.Equal((long)s3["after_cleaning_per_variable"]![v]!, demo.Result.Manifest.Counts["variable." + v]);
        foreach (var (stage, task) in new[] { ("6_split_train_val_ihm", "ihm"), ("6_split_train_val_pheno", "phenotyping") })
        {
            foreach (var split in new[] { "train", "val", "test" })
            {
                var golden = Counts[stage]![split]!;
                Assert.Equal((long)golden["samples"]!, demo.Result.Manifest.Counts[$"{task}.{split}.samples"]);
                if (task == "ihm") Assert.Equal((long)golden["positives"]!, demo.Result.Manifest.Counts[$"ihm.{split}.positive.y_true"]);
                else
                    foreach (var label in ExtractionResources.PhenotypeLabels)
                        Assert.Equal((long)golden["positives_per_label"]![label]!, demo.Result.Manifest.Counts[$"phenotyping.{split}.positive.{label}"]);
            }
        }
    }

    [Fact]
    public void Cohort_store_serves_the_same_samples_and_series_as_the_task_files()
    {
        var store = CohortStore.Open(demo.Out);
        Assert.Equal(112, store.Stays.Count);
        foreach (var task in new[] { ClinicalTask.InHospitalMortality, ClinicalTask.Phenotyping })
        {
            var folder = ClinicalTasks.Name(task);
            foreach (var split in new[] { Split.Train, Split.Validation, Split.Test })
            {
                var name = split == Split.Validation ? "val" : Splits.Name(split);
                var listed = File.ReadAllLines(Path.Combine(demo.Export, folder, $"{name}_listfile.csv")).Skip(1).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal);
                Assert.Equal(listed, store.Samples(task, split).Select(s => s.SeriesFile));
            }
            foreach (var sample in store.Samples(task).Take(15))
            {
                var partition = sample.Split == Split.Test ? "test" : "train";
                var lines = File.ReadAllLines(Path.Combine(demo.Export, folder, partition, sample.SeriesFile)).Skip(1).ToList();
                var fromStore = store.Series(sample).Select(p => MedFuseExport.SeriesLine(p.Hours, p.Values)).ToList();
                Assert.Equal(lines, fromStore);
            }
        }
        var ihm = store.Samples(ClinicalTask.InHospitalMortality);
        Assert.All(ihm, s => Assert.Equal(48.0, s.PeriodHours));
        Assert.All(ihm, s => Assert.False(s.HasImage));
        Assert.False(store.HasImages);
        Assert.Empty(store.Images());
    }

    [Fact]
    public async Task Rerun_with_the_same_recipe_is_skipped()
    {
        var again = await Extractor.RunAsync(demo.Options, new Core.ComputeSettings(1), Core.Stages.StageProgress.None);
        Assert.True(again.Skipped);
        Assert.Equal(demo.Result.FlowTable, again.FlowTable);
    }
}
