using System.IO.Compression;
using System.Text;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>
/// Tables that look plausible but are not whole (docs/reliability.md): each is refused with one
/// message naming the file, or counted where the data stays usable; nothing passes unmentioned.
/// </summary>
public sealed class HostileTableTests : IDisposable
{
    readonly MiniMimic mimic = new();
    readonly TempFolder output = Fixtures.TempFolder();

    public HostileTableTests()
    {
        mimic.Stay(10000001, 20000001, 30000001, "2150-01-01 10:00:00", "2150-01-04 10:00:00", 3.0);
        for (int i = 0; i < 2000; i++)
            mimic.Event(10000001, 20000001, 30000001, $"2150-01-02 {i / 3600 % 24:00}:{i / 60 % 60:00}:{i % 60:00}", 220045, (60 + i % 40).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        mimic.Dispose();
        output.Dispose();
    }

    string Out => output.Combine("cohort");

    Task<ExtractionResult> Extract(string? cxr = null) =>
        Extractor.RunAsync(new ExtractionOptions { MimicIv = mimic.Root, MimicCxr = cxr, Out = Out }, new ComputeSettings(1), StageProgress.None);

    async Task<ClinFuseException> Fails()
    {
        var e = await Assert.ThrowsAsync<ClinFuseException>(() => Extract());
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.False(Directory.Exists(Out));
        Assert.Empty(Directory.GetDirectories(output.Path)); // no .partial folder either
        return e;
    }

    /// <summary>The chartevents table gzipped, cut after half of its rows at a flush point (complete rows, no gzip trailer).</summary>
    byte[] CutAtFlushPoint()
    {
        var text = Encoding.UTF8.GetBytes(string.Join("\n", mimic.Chart) + "\n");
        var half = text.AsSpan(0, Array.LastIndexOf(text, (byte)'\n', text.Length / 2) + 1).ToArray();
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(half);
            gzip.Flush(); // a sync flush: the output so far decodes to exactly these rows
            return memory.ToArray();
        }
    }

    [Fact]
    public async Task A_gzip_cut_at_a_flush_point_is_refused_not_read_as_half_the_rows()
    {
        mimic.Write();
        File.WriteAllBytes(Path.Combine(mimic.Root, "icu", "chartevents.csv.gz"), CutAtFlushPoint());
        var e = await Fails();
        Assert.Contains("chartevents.csv.gz is truncated or damaged", e.Message);
        Assert.Contains("SHA256SUMS", e.Hint);
    }

    [Fact]
    public async Task A_gzip_without_its_trailer_is_refused()
    {
        mimic.Write();
        var path = Path.Combine(mimic.Root, "icu", "chartevents.csv.gz");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);
        var e = await Fails();
        Assert.Contains("chartevents.csv.gz is truncated or damaged", e.Message);
    }

    [Fact]
    public void A_complete_gzip_reads_every_row()
    {
        mimic.Write();
        long rows = CsvSource.ForEachRow(Path.Combine(mimic.Root, "icu", "chartevents.csv.gz"), ["subject_id"], [], (_, _) => { });
        Assert.Equal(mimic.Chart.Count - 1, rows);
    }

    [Fact]
    public void A_multi_member_gzip_is_read_whole_and_refused_when_cut_inside_its_last_member()
    {
        var text = Encoding.UTF8.GetBytes(string.Join("\n", mimic.Chart) + "\n");
        int middle = Array.IndexOf(text, (byte)'\n', text.Length / 3) + 1;
        static byte[] Member(ReadOnlySpan<byte> data)
        {
            using var memory = new MemoryStream();
            using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
            return memory.ToArray();
        }
        byte[] whole = [.. Member(text.AsSpan(0, middle)), .. Member(text.AsSpan(middle))];
        var path = output.Combine("chartevents.csv.gz");
        File.WriteAllBytes(path, whole);
        Assert.Equal(mimic.Chart.Count - 1, CsvSource.ForEachRow(path, ["subject_id"], [], (_, _) => { }));

        File.WriteAllBytes(path, whole[..^8]);
        var e = Assert.Throws<ClinFuseException>(() => CsvSource.ForEachRow(path, ["subject_id"], [], (_, _) => { }));
        Assert.Contains("is truncated or damaged", e.Message);
    }

    [Fact]
    public async Task Both_csv_and_csv_gz_of_one_table_are_refused_naming_both()
    {
        mimic.Write();
        mimic.Table("hosp/patients", mimic.Patients, gzip: true);
        File.WriteAllLines(Path.Combine(mimic.Root, "hosp", "patients.csv"), mimic.Patients);
        var e = await Fails();
        Assert.Contains("patients.csv and", e.Message);
        Assert.Contains("patients.csv.gz", e.Message);
    }

    [Theory]
    [InlineData("icu/chartevents")]
    [InlineData("icu/icustays")]
    [InlineData("hosp/patients")]
    public async Task A_header_only_table_is_refused(string table)
    {
        mimic.Write();
        var header = table switch { "icu/chartevents" => mimic.Chart[0], "icu/icustays" => mimic.IcuStays[0], _ => mimic.Patients[0] };
        mimic.Table(table, [header]);
        var e = await Fails();
        Assert.Contains($"{Path.GetFileName(table)}.csv.gz holds a header but no data rows", e.Message);
    }

    [Fact]
    public async Task Conflicting_duplicate_patient_rows_are_refused_with_the_row()
    {
        mimic.Patients.Add("10000001,M,61,2150,2008 - 2010,");
        mimic.Write();
        var e = await Fails();
        Assert.Contains("patients.csv.gz", e.Message);
        Assert.Contains("subject_id 10000001 appears twice with different values", e.Message);
    }

    [Fact]
    public async Task Identical_duplicate_patient_rows_are_harmless()
    {
        mimic.Patients.Add(mimic.Patients[1]);
        mimic.Write();
        var result = await Extract();
        Assert.False(result.Skipped);
    }

    [Fact]
    public async Task Unparsable_cxr_study_dates_are_counted_in_the_flow_table()
    {
        mimic.Write();
        var cxr = Path.Combine(mimic.Root, "cxr");
        Directory.CreateDirectory(cxr);
        File.WriteAllLines(Path.Combine(cxr, "mimic-cxr-2.0.0-metadata.csv"),
        [
            "dicom_id,subject_id,study_id,ViewPosition,StudyDate,StudyTime",
            "a-0,10000001,50000001,AP,21500102,120000",
            "a-1,10000001,50000001,AP,2150-01-02,120000",
            "a-2,10000001,50000001,AP,21500102,noon",
            "a-3,10000001,50000001,AP,21500102,",
        ]);
        var result = await Extract(cxr);
        Assert.Equal(3, result.Manifest.Counts["cxr.images_without_time"]);
        Assert.Equal(2, result.Manifest.Counts["cxr.images_with_unreadable_time"]);
        Assert.Contains("of which 2 with an unparsable StudyDate/StudyTime", result.FlowTable);
    }

    [Fact]
    public async Task Header_only_cxr_metadata_is_refused()
    {
        mimic.Write();
        var cxr = Path.Combine(mimic.Root, "cxr");
        Directory.CreateDirectory(cxr);
        File.WriteAllLines(Path.Combine(cxr, "mimic-cxr-2.0.0-metadata.csv"), ["dicom_id,subject_id,study_id,ViewPosition,StudyDate,StudyTime"]);
        var e = await Assert.ThrowsAsync<ClinFuseException>(() => Extract(cxr));
        Assert.Contains("mimic-cxr-2.0.0-metadata.csv holds a header but no data rows", e.Message);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task A_rerun_after_the_output_was_damaged_rebuilds_instead_of_skipping()
    {
        mimic.Write();
        var first = await Extract();
        var manifest = StageManifest.TryRead(first.Folder)!;
        Assert.NotEmpty(manifest.Outputs);
        var victim = Path.Combine(first.Folder, manifest.Outputs.First(o => o.Path.EndsWith(".parquet", StringComparison.Ordinal)).Path);
        var original = File.ReadAllBytes(victim);

        Assert.True((await Extract()).Skipped); // intact: skipped
        File.WriteAllBytes(victim, original[..(original.Length / 2)]);
        var second = await Extract();
        Assert.False(second.Skipped);
        Assert.Null(StageManifest.TryRead(second.Folder)!.FindDamage(second.Folder));
        Assert.NotNull(CohortStore.Open(second.Folder));
    }
}
