using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Mimic;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>CXR linkage rules and subject splits.</summary>
public sealed class LinkageAndSplitTests
{
    [Theory]
    [InlineData("21800506", "213014.531", "2180-05-06 21:30:14")]
    [InlineData("21800506", "71428", "2180-05-06 07:14:28")]
    [InlineData("21800506", "5", "2180-05-06 00:00:05")]
    [InlineData("21800506", "235959.999", "2180-05-06 23:59:59")]
    public void Study_time_is_truncated_to_seconds_and_zero_padded(string date, string time, string expected) =>
        Assert.Equal(expected, MimicTime.Format(CxrLinker.StudyDateTime(date, time)!.Value));

    [Theory]
    [InlineData("21800506", "")]
    [InlineData("", "120000")]
    [InlineData("21801306", "120000")]
    [InlineData("21800506", "126000")]
    public void Missing_or_impossible_study_times_are_null(string date, string time) => Assert.Null(CxrLinker.StudyDateTime(date, time));

    static async Task<CohortStore> ExtractWithImages(string[] metadata)
    {
        using var mimic = new MiniMimic();
        // Stay from 2150-01-01 22:00 to 2150-01-05 10:00 (crosses midnight), 3.5 days.
        mimic.Stay(10000001, 20000001, 30000001, "2150-01-01 22:00:00", "2150-01-05 10:00:00", 3.5)
             .Event(10000001, 20000001, 30000001, "2150-01-02 08:00:00", 220045, "80");
        var root = mimic.Write();
        var cxr = Path.Combine(root, "cxr");
        Directory.CreateDirectory(cxr);
        File.WriteAllLines(Path.Combine(cxr, "mimic-cxr-2.0.0-metadata.csv"),
            ["dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning", .. metadata]);
        var output = Directory.CreateTempSubdirectory("clinfuse-link-").FullName;
        var result = await Extractor.RunAsync(new ExtractionOptions { MimicIv = root, MimicCxr = cxr, Out = Path.Combine(output, "c") }, new ComputeSettings(1), StageProgress.None);
        return CohortStore.Open(result.Folder);
    }

    static string Row(string dicom, string view, string date, string time, long study = 50000001) =>
        $"{dicom},10000001,{study},CHEST (PORTABLE AP),{view},3000,2500,{date},{time},,antero-posterior,Erect";

    [Fact]
    public async Task Latest_ap_image_inside_each_task_window_is_linked()
    {
        var store = await ExtractWithImages([
            Row("aaaaaaaa-0", "AP", "21500101", "215959"),     // one second before intime: outside
            Row("aaaaaaaa-1", "AP", "21500101", "220000"),     // exactly intime: inside both
            Row("aaaaaaaa-2", "AP", "21500103", "220000"),     // exactly intime + 48 h: last for IHM
            Row("aaaaaaaa-3", "PA", "21500103", "230000"),     // PA: never
            Row("aaaaaaaa-4", "AP", "21500103", "220001"),     // after 48 h: phenotyping only
            Row("aaaaaaaa-5", "AP", "21500105", "100000", 50000002), // exactly outtime: latest for phenotyping
            Row("aaaaaaaa-6", "AP", "21500105", "100001"),     // after outtime: never
            Row("aaaaaaaa-7", "AP", "21500102", ""),           // no study time: never
        ]);
        var ihm = Assert.Single(store.Samples(ClinicalTask.InHospitalMortality));
        Assert.Equal("aaaaaaaa-2", ihm.CxrDicomId);
        Assert.Equal(new DateTime(2150, 1, 3, 22, 0, 0), ihm.CxrStudyTime);
        var pheno = Assert.Single(store.Samples(ClinicalTask.Phenotyping));
        Assert.Equal("aaaaaaaa-5", pheno.CxrDicomId);
        Assert.Equal(50000002, pheno.CxrStudyId);
        Assert.Equal("files/p10/p10000001/s50000002/aaaaaaaa-5.jpg", pheno.CxrPath);
        // Every image of the subject is listed, all views, with the subject's EHR split.
        var images = store.Images();
        Assert.Equal(8, images.Count);
        Assert.All(images, i => Assert.Equal(store.Stays.Single().Split, i.Split));
        Assert.Null(images.Single(i => i.DicomId == "aaaaaaaa-7").StudyTime);
        Assert.Equal("PA", images.Single(i => i.DicomId == "aaaaaaaa-3").ViewPosition);
    }

    [Fact]
    public async Task Same_time_images_resolve_to_the_largest_dicom_id()
    {
        var store = await ExtractWithImages([Row("bbbbbbbb-1", "AP", "21500102", "120000"), Row("bbbbbbbb-3", "AP", "21500102", "120000"), Row("bbbbbbbb-2", "AP", "21500102", "120000")]);
        Assert.Equal("bbbbbbbb-3", store.Samples(ClinicalTask.Phenotyping).Single().CxrDicomId);
    }

    [Fact]
    public async Task No_image_in_window_leaves_the_sample_unpaired()
    {
        var store = await ExtractWithImages([Row("cccccccc-1", "LATERAL", "21500102", "120000")]);
        Assert.True(store.HasImages);
        Assert.All(store.Samples(ClinicalTask.Phenotyping), s => Assert.False(s.HasImage));
    }

    [Fact]
    public void Seeded_split_is_subject_level_deterministic_and_proportional()
    {
        var subjects = Enumerable.Range(0, 1000).Select(i => 10_000_000L + i * 7).ToList();
        var a = SubjectSplit.Assign(subjects.Concat(subjects.Take(50)), SplitMode.Seeded, 42);
        var b = SubjectSplit.Assign(Enumerable.Reverse(subjects), SplitMode.Seeded, 42);
        var c = SubjectSplit.Assign(subjects, SplitMode.Seeded, 43);
        Assert.Equal(1000, a.Count);
        Assert.Equal(a.OrderBy(kv => kv.Key), b.OrderBy(kv => kv.Key));
        Assert.NotEqual(a.OrderBy(kv => kv.Key), c.OrderBy(kv => kv.Key));
        Assert.Equal(200, a.Values.Count(s => s == Split.Test));
        Assert.Equal(80, a.Values.Count(s => s == Split.Validation));
    }

    [Fact]
    public void A_larger_validation_share_moves_training_subjects_only_and_is_recorded_only_when_set()
    {
        var subjects = Enumerable.Range(0, 1000).Select(i => 10_000_000L + i * 7).ToList();
        var standard = SubjectSplit.Assign(subjects, SplitMode.Seeded, 42);
        var larger = SubjectSplit.Assign(subjects, SplitMode.Seeded, 42, validationFraction: 0.25);
        Assert.Equal(standard, SubjectSplit.Assign(subjects, SplitMode.Seeded, 42, validationFraction: SubjectSplit.ValidationFraction));
        Assert.Equal(200, larger.Values.Count(s => s == Split.Test));
        Assert.Equal(200, larger.Values.Count(s => s == Split.Validation));
        // The test split does not move, and every subject validated before still is.
        Assert.All(subjects, id => Assert.Equal(standard[id] == Split.Test, larger[id] == Split.Test));
        Assert.All(subjects.Where(id => standard[id] == Split.Validation), id => Assert.Equal(Split.Validation, larger[id]));

        var options = new ExtractionOptions { MimicIv = "m", Out = "o" };
        var plain = System.Text.Json.JsonSerializer.Serialize(ExtractConfig.Of(options, "v2+", null));
        Assert.DoesNotContain("validation_fraction", plain);
        var recorded = ExtractConfig.Of(options with { ValidationFraction = 0.25 }, "v2+", null);
        Assert.Contains("\"validation_fraction\":0.25", System.Text.Json.JsonSerializer.Serialize(recorded));
        Assert.Equal(recorded, System.Text.Json.JsonSerializer.Deserialize<ExtractConfig>(System.Text.Json.JsonSerializer.Serialize(recorded)));
        Assert.Null(ExtractConfig.Of(options with { ValidationFraction = 0.25, Split = SplitMode.MedFuse }, "v2+", null).ValidationFraction);
    }

    [Fact]
    public void MedFuse_split_uses_its_lists_and_sends_unlisted_subjects_to_train()
    {
        var split = SubjectSplit.Assign([10014729, 10016810, 10000032, 1], SplitMode.MedFuse, 0);
        Assert.Equal(Split.Test, split[10014729]);
        Assert.Equal(Split.Validation, split[10016810]);
        Assert.Equal(Split.Train, split[10000032]);
        Assert.Equal(Split.Train, split[1]);
        Assert.Equal(47046, ExtractionResources.MedFuseTestList.Count);
        Assert.Equal(9409, ExtractionResources.MedFuseTestList.Values.Count(v => v));
        Assert.Equal(3730, ExtractionResources.MedFuseValidationList.Values.Count(v => v));
    }
}
