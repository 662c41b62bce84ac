using System.IO.Compression;
using System.Text;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>A hand-made MIMIC-IV v2 folder: a few rows per table, written as csv (or csv.gz).</summary>
public sealed class MiniMimic : IDisposable
{
    readonly TempFolder temp = Fixtures.TempFolder("clinfuse-mini-");

    public string Root => temp.Combine("mimic");

    public List<string> Patients { get; } = ["subject_id,gender,anchor_age,anchor_year,anchor_year_group,dod"];
    public List<string> Admissions { get; } = ["subject_id,hadm_id,admittime,dischtime,deathtime,race,hospital_expire_flag"];
    public List<string> IcuStays { get; } = ["subject_id,hadm_id,stay_id,first_careunit,last_careunit,intime,outtime,los"];
    public List<string> Diagnoses { get; } = ["subject_id,hadm_id,seq_num,icd_code,icd_version"];
    public List<string> DIcd { get; } = ["icd_code,icd_version,long_title", "5849,9,Acute kidney failure", "N179,10,Acute kidney failure"];
    public List<string> Chart { get; } = ["subject_id,hadm_id,stay_id,caregiver_id,charttime,storetime,itemid,value,valuenum,valueuom,warning"];
    public List<string> Labs { get; } = ["labevent_id,subject_id,hadm_id,specimen_id,itemid,charttime,value,valuenum,valueuom"];

    /// <summary>Adds a patient with one admission and one ICU stay (times "yyyy-MM-dd HH:mm:ss").</summary>
    public MiniMimic Stay(long subject, long hadm, long stay, string intime, string outtime, double losDays, int age = 60, string? deathtime = null)
    {
        if (!Patients.Any(p => p.StartsWith($"{subject},", StringComparison.Ordinal))) Patients.Add($"{subject},F,{age},2150,2008 - 2010,");
        if (!Admissions.Any(a => a.StartsWith($"{subject},{hadm},", StringComparison.Ordinal)))
            Admissions.Add($"{subject},{hadm},{intime},{outtime},{deathtime},WHITE,{(deathtime is null ? 0 : 1)}");
        IcuStays.Add($"{subject},{hadm},{stay},MICU,MICU,{intime},{outtime},{losDays.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        Diagnoses.Add($"{subject},{hadm},1,5849,9");
        return this;
    }

    /// <summary>Adds a chart event.</summary>
    public MiniMimic Event(long subject, long hadm, long? stay, string time, int itemId, string value, string uom = "") 
    {
        Chart.Add($"{subject},{hadm},{stay},,{time},,{itemId},{value},{value},{uom},");
        return this;
    }

    /// <summary>
    /// Writes the tables (gzipped when <paramref name="gzip"/>); returns the root. <paramref name="v1"/>
    /// writes MIMIC-IV v1.0's layout: patients and admissions in core/, race named ethnicity.
    /// </summary>
    public string Write(bool gzip = true, bool v1 = false)
    {
        var demographics = v1 ? "core" : "hosp";
        Table($"{demographics}/patients", Patients, gzip);
        Table($"{demographics}/admissions", v1 ? [Admissions[0].Replace(",race,", ",ethnicity,"), .. Admissions.Skip(1)] : Admissions, gzip);
        Table("icu/icustays", IcuStays, gzip);
        Table("hosp/diagnoses_icd", Diagnoses, gzip);
        Table("hosp/d_icd_diagnoses", DIcd, gzip);
        Table("icu/chartevents", Chart, gzip);
        Table("hosp/labevents", Labs, gzip);
        return Root;
    }

    /// <summary>Writes one table, replacing any earlier copy.</summary>
    public void Table(string name, IEnumerable<string> lines, bool gzip = true)
    {
        var path = Path.Combine(Root, name + (gzip ? ".csv.gz" : ".csv"));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        foreach (var old in new[] { ".csv", ".csv.gz" }) File.Delete(Path.Combine(Root, name + old));
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var file = File.Create(path);
        using var z = new GZipStream(file, CompressionLevel.Fastest);
        z.Write(bytes);
    }

    public void Dispose() => temp.Dispose();
}
