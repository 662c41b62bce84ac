using ClinFuse.Data.Mimic;
using System.IO.Compression;
using System.Text.RegularExpressions;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Synthetic;
using DuckDB.NET.Data;

namespace ClinFuse.Data.Tests.Synthetic;

/// <summary>The generated tables have the MIMIC-IV demo's names, column order and value formats.</summary>
public sealed partial class SynthSchemaTests(SynthCohortFixture cohort) : IClassFixture<SynthCohortFixture>
{
    public static TheoryData<string, string> DemoTables => new()
    {
        { "patients.csv", "mimic-iv/hosp/patients.csv.gz" },
        { "admissions.csv", "mimic-iv/hosp/admissions.csv.gz" },
        { "transfers.csv", "mimic-iv/hosp/transfers.csv.gz" },
        { "diagnoses_icd.csv", "mimic-iv/hosp/diagnoses_icd.csv.gz" },
        { "d_icd_diagnoses.csv", "mimic-iv/hosp/d_icd_diagnoses.csv.gz" },
        { "labevents.csv", "mimic-iv/hosp/labevents.csv.gz" },
        { "d_labitems.csv", "mimic-iv/hosp/d_labitems.csv.gz" },
        { "icustays.csv", "mimic-iv/icu/icustays.csv.gz" },
        { "chartevents.csv", "mimic-iv/icu/chartevents.csv.gz" },
        { "outputevents.csv", "mimic-iv/icu/outputevents.csv.gz" },
        { "d_items.csv", "mimic-iv/icu/d_items.csv.gz" },
    };

    enum Shape { Number, DateTime, Date, Text }

    [GeneratedRegex(@"^-?\d+(\.\d+)?$")] private static partial Regex NumberPattern();
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")] private static partial Regex DateTimePattern();
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d$")] private static partial Regex DatePattern();

    static Shape ShapeOf(string v) =>
        NumberPattern().IsMatch(v) ? Shape.Number : DateTimePattern().IsMatch(v) ? Shape.DateTime : DatePattern().IsMatch(v) ? Shape.Date : Shape.Text;

    [Theory]
    [MemberData(nameof(DemoTables))]
    public void Header_and_value_formats_match_the_demo(string fixture, string generated)
    {
        var demo = CsvTable.Read(Fixtures.Path("synth", fixture));
        var table = cohort.Table(generated);
        Assert.Equal(demo.Header, table.Header);
        Assert.NotEmpty(table.Rows);
        for (int c = 0; c < demo.Header.Length; c++)
        {
            var demoShapes = demo.Rows.Where(r => r[c].Length > 0).Select(r => ShapeOf(r[c])).ToHashSet();
            if (demoShapes.Count == 0 || demoShapes.Contains(Shape.Text)) continue;
            foreach (var row in table.Rows)
            {
                Assert.Equal(demo.Header.Length, row.Length);
                if (row[c].Length == 0) continue;
                Assert.True(demoShapes.Contains(ShapeOf(row[c])),
                    $"{generated} column {demo.Header[c]}: value '{row[c]}' has shape {ShapeOf(row[c])}, the demo has [{string.Join(',', demoShapes)}]");
            }
        }
    }

    [Fact]
    public void Cxr_tables_have_the_documented_columns_and_folder_layout()
    {
        var meta = cohort.Table(SynthTable.CxrMetadata);
        Assert.Equal(
            "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning",
            string.Join(',', meta.Header));
        Assert.Equal("dicom_id,study_id,subject_id,split", string.Join(',', cohort.Table(SynthTable.CxrSplit).Header));
        var chexpert = cohort.Table(SynthTable.CxrChexpert);
        Assert.Equal(16, chexpert.Header.Length);
        Assert.Equal(["subject_id", "study_id", "Atelectasis"], chexpert.Header[..3]);
        foreach (var row in meta.Rows)
        {
            Assert.Matches(@"^[0-9a-f]{8}(-[0-9a-f]{8}){4}$", row[0]);
            Assert.Matches(@"^1\d{7}$", row[1]);
            Assert.Matches(@"^5\d{7}$", row[2]);
            Assert.Matches(@"^2[12]\d{2}(0[1-9]|1[0-2])\d{2}$", row[7]);
            Assert.Matches(@"^\d{1,6}(\.\d{1,3})?$", row[8]);
            Assert.Contains(row[4], new[] { "AP", "PA", "LATERAL" });
        }
        foreach (var row in chexpert.Rows)
            foreach (var cell in row[2..]) Assert.Contains(cell, new[] { "", "1.0", "0.0", "-1.0" });
    }

    [Fact]
    public void Every_gzip_member_is_readable_by_duckdb()
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM read_csv('{Path.Combine(cohort.Root, "mimic-iv/icu/chartevents.csv.gz")}', header = true, all_varchar = true)";
        long rows = Convert.ToInt64(command.ExecuteScalar());
        Assert.Equal(cohort.Result.Manifest.Counts["chartevents"], rows);
        Assert.Equal(cohort.Table(SynthTable.ChartEvents).Rows.Count, rows);
    }

    [Fact]
    public void V1_layout_uses_core_folder_ethnicity_and_plain_csv()
    {
        using var temp = Fixtures.TempFolder();
        var result = SyntheticCohortGenerator.Generate(new SynthOptions(5, 3, SynthImages.None, MimicIvLayout.V1, 0), temp.Combine("v1"), false, new ComputeSettings(1), StageProgress.None);
        var admissions = CsvTable.Read(Path.Combine(result.Folder, "mimic-iv/core/admissions.csv"));
        Assert.Contains("ethnicity", admissions.Header);
        Assert.DoesNotContain("race", admissions.Header);
        Assert.DoesNotContain("admit_provider_id", admissions.Header);
        Assert.True(File.Exists(Path.Combine(result.Folder, "mimic-iv/core/patients.csv")));
        Assert.Equal("subject_id,hadm_id,stay_id,charttime,storetime,itemid,value,valuenum,valueuom,warning",
            string.Join(',', CsvTable.Read(Path.Combine(result.Folder, "mimic-iv/icu/chartevents.csv")).Header));
        var firstBytes = File.ReadAllBytes(Path.Combine(result.Folder, "mimic-iv/hosp/labevents.csv"))[..11];
        Assert.Equal("labevent_id"u8.ToArray(), firstBytes);
        Assert.Equal(5, CsvTable.Read(Path.Combine(result.Folder, "mimic-iv/core/patients.csv")).Rows.Count);
    }

    [Fact]
    public void Bad_options_and_a_non_empty_output_are_refused_without_output()
    {
        using var temp = Fixtures.TempFolder();
        var bad = Assert.Throws<ClinFuseException>(() => SyntheticCohortGenerator.Generate(new SynthOptions(0, 1), temp.Combine("a"), false, new ComputeSettings(1), StageProgress.None));
        Assert.Contains("--patients", bad.Message);
        Assert.False(Directory.Exists(temp.Combine("a")));
        Directory.CreateDirectory(temp.Combine("b"));
        File.WriteAllText(temp.Combine("b", "keep.txt"), "x");
        Assert.Throws<ClinFuseException>(() => SyntheticCohortGenerator.Generate(new SynthOptions(2, 1, SynthImages.None), temp.Combine("b"), false, new ComputeSettings(1), StageProgress.None));
        Assert.True(File.Exists(temp.Combine("b", "keep.txt")));
    }

    [Fact]
    public void A_rerun_is_skipped_only_to_a_verified_output_and_force_always_generates()
    {
        using var temp = Fixtures.TempFolder();
        var options = new SynthOptions(3, 5, SynthImages.None);
        var folder = temp.Combine("cohort");
        var first = SyntheticCohortGenerator.Generate(options, folder, false, new ComputeSettings(1), StageProgress.None);
        Assert.NotEmpty(first.Manifest.Outputs);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(folder, StageManifest.FileName));

        var again = SyntheticCohortGenerator.Generate(options, folder, false, new ComputeSettings(1), StageProgress.None);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(folder, StageManifest.FileName)));
        Assert.Equal((first.Oracle.IcuStays, first.Oracle.Phenotyping.MacroAurocOracle), (again.Oracle.IcuStays, again.Oracle.Phenotyping.MacroAurocOracle));

        var patients = Path.Combine(folder, SynthTables.PathOf(SynthTable.Patients, MimicIvLayout.V2));
        var bytes = File.ReadAllBytes(patients);
        File.WriteAllBytes(patients, bytes[..^3]);
        SyntheticCohortGenerator.Generate(options, folder, false, new ComputeSettings(1), StageProgress.None);
        Assert.Equal(bytes, File.ReadAllBytes(patients)); // a damaged output is generated again, not skipped to

        var before = StageManifest.TryRead(folder)!.CreatedUtc;
        var forced = SyntheticCohortGenerator.Generate(options, folder, true, new ComputeSettings(1), StageProgress.None);
        Assert.True(forced.Manifest.CreatedUtc > before); // --force runs even when up to date
        Assert.Throws<ClinFuseException>(() => SyntheticCohortGenerator.Generate(options with { Seed = 6 }, folder, false, new ComputeSettings(1), StageProgress.None));
    }
}
