using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.Images;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Tests.Preparation;

/// <summary>A prepared store that was damaged after prepare wrote it is never skipped to, nor read by training (docs/reliability.md).</summary>
public sealed class PrepareReliabilityTests(DemoCohort demo) : IClassFixture<DemoCohort>
{
    [Fact]
    public void A_damaged_split_is_refused_by_training_and_rebuilt_by_the_next_prepare()
    {
        var options = new PrepareOptions(demo.Folder, ClinicalTask.InHospitalMortality, demo.Scratch("reliability"), null, new ImagePreprocessing());
        var first = PrepareStage.Run(options, new ComputeSettings(2), StageProgress.None);
        var manifest = StageManifest.TryRead(first.Folder)!;
        Assert.Contains(manifest.Outputs, o => o.Path == "train.split");
        Assert.True(manifest.Counts["series.invalid_values"] > 0); // the demo holds values that are not numbers: counted, not dropped silently
        Assert.True(PrepareStage.Run(options, new ComputeSettings(2), StageProgress.None).Skipped);
        Assert.False(PrepareStage.Run(options with { Force = true }, new ComputeSettings(2), StageProgress.None).Skipped); // --force always runs

        var split = Path.Combine(first.Folder, "train.split");
        var bytes = File.ReadAllBytes(split);
        File.WriteAllBytes(split, bytes[..^4]); // a truncated copy
        var e = Assert.Throws<ClinFuseException>(() => PreparedStore.Open(first.Folder).OpenSplit(Split.Train));
        Assert.Contains($"is damaged: {split} has {bytes.Length - 4:N0} bytes, {bytes.Length:N0} when written", e.Message);

        var messages = new List<string>();
        var again = PrepareStage.Run(options, new ComputeSettings(2), new RecordingProgress(messages));
        Assert.False(again.Skipped);
        Assert.Contains(messages, m => m.Contains("running the stage again", StringComparison.Ordinal));
        Assert.Equal(bytes.Length, new FileInfo(split).Length);
        Assert.Null(StageManifest.TryRead(first.Folder)!.FindDamage(first.Folder));
        using var reopened = PreparedStore.Open(first.Folder).OpenSplit(Split.Train);
        Assert.True(reopened.Count > 0);
    }

    [Fact]
    public void A_cohort_store_damaged_after_extract_is_refused_naming_the_file_and_nothing_is_written()
    {
        var cohort = demo.Scratch("damaged-cohort");
        Directory.CreateDirectory(cohort);
        foreach (var file in Directory.GetFiles(demo.Folder)) File.Copy(file, Path.Combine(cohort, Path.GetFileName(file)));
        var series = Path.Combine(cohort, "timeseries.parquet");
        var bytes = File.ReadAllBytes(series);
        bytes[bytes.Length / 2] ^= 0xFF; // same size, one byte changed
        File.WriteAllBytes(series, bytes);

        var output = demo.Scratch("from-damaged-cohort");
        var e = Assert.Throws<ClinFuseException>(() => PrepareStage.Run(
            new PrepareOptions(cohort, ClinicalTask.InHospitalMortality, output, null, new ImagePreprocessing()), new ComputeSettings(2), StageProgress.None));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.StartsWith($"The cohort store {cohort} is damaged: ", e.Message);
        Assert.Contains(series, e.Message);
        Assert.Contains("clinfuse extract", e.Hint);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetDirectories(demo.Scratch(""), ".from-damaged-cohort.partial-*"));
    }

    sealed class RecordingProgress(List<string> messages) : IStageProgress
    {
        public IProgressStep Step(string name, long? total = null, string unit = "items") => StageProgress.None.Step(name, total, unit);
        public void Info(string message) => messages.Add(message);
    }
}
