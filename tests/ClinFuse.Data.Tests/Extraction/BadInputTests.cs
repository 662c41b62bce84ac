using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>Broken inputs end in one ClinFuseException naming the file/row and what to do, and leave no output.</summary>
public sealed class BadInputTests : IDisposable
{
    readonly MiniMimic mimic = new();
    readonly TempFolder output = Fixtures.TempFolder();

    public BadInputTests() =>
        mimic.Stay(10000001, 20000001, 30000001, "2150-01-01 10:00:00", "2150-01-04 10:00:00", 3.0)
             .Event(10000001, 20000001, 30000001, "2150-01-01 11:00:00", 220045, "80");

    async Task<ClinFuseException> Fails(string? root = null)
    {
        var options = new ExtractionOptions { MimicIv = root ?? mimic.Root, Out = output.Combine("cohort") };
        var e = await Assert.ThrowsAsync<ClinFuseException>(() => Extractor.RunAsync(options, new ComputeSettings(1), StageProgress.None));
        Assert.False(Directory.Exists(output.Combine("cohort")));
        Assert.Empty(Directory.GetDirectories(output.Path)); // no .partial folder left behind
        return e;
    }

    [Fact]
    public async Task Missing_tables_are_listed_together()
    {
        mimic.Write();
        File.Delete(Path.Combine(mimic.Root, "icu", "chartevents.csv.gz"));
        File.Delete(Path.Combine(mimic.Root, "hosp", "labevents.csv.gz"));
        var e = await Fails();
        Assert.Contains("icu/chartevents.csv[.gz]", e.Message);
        Assert.Contains("hosp/labevents.csv[.gz]", e.Message);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public async Task A_folder_that_is_not_mimic_is_named()
    {
        mimic.Write();
        var e = await Fails(Path.Combine(mimic.Root, "hosp"));
        Assert.Contains("not a MIMIC-IV folder", e.Message);
    }

    [Fact]
    public async Task A_parent_folder_with_versions_gets_a_hint()
    {
        mimic.Write();
        var parent = Path.GetDirectoryName(mimic.Root)!;
        var e = await Fails(parent);
        Assert.Contains("mimic", e.Hint);
    }

    [Fact]
    public async Task Truncated_gzip_is_reported_with_the_file()
    {
        for (int i = 0; i < 5000; i++) mimic.Event(10000001, 20000001, 30000001, $"2150-01-02 {i / 3600 % 24:00}:{i / 60 % 60:00}:{i % 60:00}", 220045, (60 + i % 40).ToString(System.Globalization.CultureInfo.InvariantCulture));
        mimic.Write();
        var path = Path.Combine(mimic.Root, "icu", "chartevents.csv.gz");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = await Fails();
        Assert.Contains("chartevents.csv.gz", e.Message);
        Assert.Contains("truncated", e.Message + e.Hint, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Wrong_columns_are_named()
    {
        mimic.Write();
        mimic.Table("icu/icustays", ["subject_id,hadm_id,icustay_id,first_careunit,last_careunit,intime,outtime,los", "1,2,3,A,A,2150-01-01 10:00:00,2150-01-02 10:00:00,1"]);
        var e = await Fails();
        Assert.Contains("icustays.csv.gz", e.Message);
        Assert.Contains("stay_id", e.Message);
    }

    [Fact]
    public async Task Non_numeric_ids_are_reported_with_the_row()
    {
        mimic.Write();
        mimic.Table("icu/icustays", [mimic.IcuStays[0], mimic.IcuStays[1], "abc,2,3,A,A,2150-01-01 10:00:00,2150-01-02 10:00:00,1"]);
        var e = await Fails();
        Assert.Contains("row 2", e.Message);
        Assert.Contains("abc", e.Message);
    }

    [Fact]
    public async Task Bad_timestamps_are_reported_with_the_row()
    {
        mimic.Event(10000001, 20000001, 30000001, "yesterday", 220045, "80");
        mimic.Write(gzip: false);
        var e = await Fails();
        Assert.Contains("chartevents.csv", e.Message);
        Assert.Contains("yesterday", e.Message);
    }

    [Fact]
    public async Task Non_numeric_values_stop_compat_with_a_clear_message()
    {
        mimic.Event(10000001, 20000001, 30000001, "2150-01-01 12:00:00", 220050, "see note");
        mimic.Write();
        var options = new ExtractionOptions { MimicIv = mimic.Root, Out = output.Combine("cohort"), Compat = CompatMode.MedFuse };
        var e = await Assert.ThrowsAsync<ClinFuseException>(() => Extractor.RunAsync(options, new ComputeSettings(1), StageProgress.None));
        Assert.Contains("see note", e.Message);
        // The default drops the value instead.
        var ok = await Extractor.RunAsync(options with { Compat = CompatMode.None }, new ComputeSettings(1), StageProgress.None);
        Assert.False(ok.Skipped);
    }

    [Fact]
    public void Missing_cxr_metadata_is_named()
    {
        var e = Assert.Throws<ClinFuseException>(() => MimicCxrSource.Detect(output.Path));
        Assert.Contains("mimic-cxr-2.0.0-metadata", e.Message);
    }

    [Fact]
    public async Task Existing_output_is_not_overwritten_without_force()
    {
        mimic.Write();
        Directory.CreateDirectory(output.Combine("cohort"));
        File.WriteAllText(output.Combine("cohort", "keep.txt"), "x");
        var options = new ExtractionOptions { MimicIv = mimic.Root, Out = output.Combine("cohort") };
        var e = await Assert.ThrowsAsync<ClinFuseException>(() => Extractor.RunAsync(options, new ComputeSettings(1), StageProgress.None));
        Assert.Contains("not empty", e.Message);
        Assert.True(File.Exists(output.Combine("cohort", "keep.txt")));
    }

    public void Dispose()
    {
        mimic.Dispose();
        output.Dispose();
    }
}
