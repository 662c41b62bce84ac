using ClinFuse.Core;
using System.Globalization;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Extraction;

/// <summary>Counts after one filter of the cohort flow.</summary>
internal sealed record FlowStep(string Key, string Step, long Stays, long Admissions, long Subjects);

/// <summary>The stays of the cohort and their diagnoses (reference stage 1, <c>extract_subjects_iv.py</c>).</summary>
internal sealed record StayCohort(IReadOnlyList<Stay> Stays, IReadOnlyDictionary<long, IReadOnlyList<Diagnosis>> DiagnosesByStay, IReadOnlyList<FlowStep> Flow, long DiagnosisRows)
{
    sealed record RawStay(long SubjectId, long HadmId, long StayId, string FirstCareunit, string LastCareunit, DateTime Intime, DateTime Outtime, string Los);
    sealed record Admission(DateTime Admittime, DateTime Dischtime, DateTime? Deathtime, string Ethnicity, bool? HospitalExpire);
    sealed record Patient(string Gender, int AnchorAge, int? AnchorYear, DateTime? Dod);

    /// <summary>Builds the cohort: transfers removed, one stay per admission, adults only.</summary>
    public static StayCohort Build(MimicIvSource source, CompatMode compat, IStageProgress progress, CancellationToken ct = default)
    {
        var raw = new List<RawStay>();
        using (var step = progress.Step("read icustays", unit: "rows"))
        {
            CsvSource.ForEachRow(source.IcuStays, ["subject_id", "hadm_id", "stay_id", "first_careunit", "last_careunit", "intime", "outtime", "los"], [],
                (row, c) => raw.Add(new RawStay(
                    CsvSource.Id(row, c[0], "subject_id") ?? throw new FormatException("subject_id is empty"),
                    CsvSource.Id(row, c[1], "hadm_id") ?? throw new FormatException("hadm_id is empty"),
                    CsvSource.Id(row, c[2], "stay_id") ?? throw new FormatException("stay_id is empty"),
                    row[c[3]].ToString(), row[c[4]].ToString(),
                    CsvSource.Time(row, c[5], "intime") ?? throw new FormatException("intime is empty"),
                    CsvSource.Time(row, c[6], "outtime") ?? throw new FormatException("outtime is empty"),
                    row[c[7]].ToString())), step, ct, requireRows: true);
        }
        var flow = new List<FlowStep>();
        void Count(string key, string step, IEnumerable<RawStay> s)
        {
            var list = s as ICollection<RawStay> ?? s.ToList();
            flow.Add(new FlowStep(key, step, list.Count, list.Select(x => x.HadmId).Distinct().LongCount(), list.Select(x => x.SubjectId).Distinct().LongCount()));
        }
        Count("icustays", "icustays", raw);
        var noTransfer = raw.Where(s => s.FirstCareunit == s.LastCareunit).ToList();
        Count("remove_transfers", "remove ICU transfers (first_careunit != last_careunit)", noTransfer);

        var hadms = noTransfer.Select(s => s.HadmId).ToHashSet();
        var subjects = noTransfer.Select(s => s.SubjectId).ToHashSet();
        var admissions = new Dictionary<(long, long), Admission>();
        using (var step = progress.Step("read admissions", unit: "rows"))
        {
            CsvSource.ForEachRow(source.Admissions, ["subject_id", "hadm_id", "admittime", "dischtime", "deathtime", source.EthnicityColumn], ["hospital_expire_flag"],
                (row, c) =>
                {
                    var hadm = CsvSource.Id(row, c[1], "hadm_id");
                    if (hadm is null || !hadms.Contains(hadm.Value)) return;
                    var flag = CsvSource.Cell(row, c[6]);
                    var key = (CsvSource.Id(row, c[0], "subject_id")!.Value, hadm.Value);
                    var admission = new Admission(
                        CsvSource.Time(row, c[2], "admittime") ?? throw new FormatException("admittime is empty"),
                        CsvSource.Time(row, c[3], "dischtime") ?? throw new FormatException("dischtime is empty"),
                        CsvSource.Time(row, c[4], "deathtime"), row[c[5]].ToString(),
                        flag.Length == 0 ? null : flag == "1");
                    if (admissions.TryGetValue(key, out var earlier) && earlier != admission)
                        throw new FormatException($"hadm_id {hadm} appears twice with different values; a MIMIC table has one row per admission");
                    admissions[key] = admission;
                }, step, ct, requireRows: true);
        }
        var patients = new Dictionary<long, Patient>();
        using (var step = progress.Step("read patients", unit: "rows"))
        {
            CsvSource.ForEachRow(source.Patients, ["subject_id", "gender", "anchor_age", "dod"], ["anchor_year"],
                (row, c) =>
                {
                    var subject = CsvSource.Id(row, c[0], "subject_id")!.Value;
                    if (!subjects.Contains(subject)) return;
                    var year = CsvSource.Cell(row, c[4]);
                    var patient = new Patient(row[c[1]].ToString(),
                        (int)(CsvSource.Id(row, c[2], "anchor_age") ?? throw new FormatException("anchor_age is empty")),
                        year.Length == 0 ? null : int.Parse(year, CultureInfo.InvariantCulture),
                        CsvSource.Time(row, c[3], "dod"));
                    if (patients.TryGetValue(subject, out var earlier) && earlier != patient)
                        throw new FormatException($"subject_id {subject} appears twice with different values; a MIMIC table has one row per patient");
                    patients[subject] = patient;
                }, step, ct, requireRows: true);
        }
        var joined = noTransfer.Where(s => admissions.ContainsKey((s.SubjectId, s.HadmId)) && patients.ContainsKey(s.SubjectId)).ToList();
        var perHadm = joined.GroupBy(s => s.HadmId).ToDictionary(g => g.Key, g => g.Count());
        var single = joined.Where(s => perHadm[s.HadmId] == 1).ToList();
        Count("remove_multistay", "remove admissions with more than one ICU stay", single);

        var stays = new List<Stay>();
        foreach (var s in single)
        {
            var a = admissions[(s.SubjectId, s.HadmId)];
            var p = patients[s.SubjectId];
            var age = p.AnchorAge;
            // anchor_age is the age in anchor_year; the reference ignores the years between (J.3 29).
            if (compat == CompatMode.None && p.AnchorYear is { } anchorYear) age = p.AnchorAge + (s.Intime.Year - anchorYear);
            if (age < 0) age = 90;
            bool mortality, inUnit;
            if (compat == CompatMode.MedFuse)
            {
                inUnit = (p.Dod is { } d1 && s.Intime <= d1 && d1 <= s.Outtime) || (a.Deathtime is { } t1 && s.Intime <= t1 && t1 <= s.Outtime);
                mortality = (p.Dod is { } d2 && a.Admittime <= d2 && d2 <= a.Dischtime) || (a.Deathtime is { } t2 && a.Admittime <= t2 && t2 <= a.Dischtime);
            }
            else
            {
                // dod is a date (midnight) that also records deaths after discharge; deathtime and
                // hospital_expire_flag are what the hospital recorded for this admission.
                mortality = a.HospitalExpire ?? false;
                if (a.Deathtime is { } t && a.Admittime <= t && t <= a.Dischtime) mortality = true;
                inUnit = a.Deathtime is { } t3 && s.Intime <= t3 && t3 <= s.Outtime;
            }
            var (losText, los) = ParseLos(s.Los, compat);
            stays.Add(new Stay
            {
                SubjectId = s.SubjectId, HadmId = s.HadmId, StayId = s.StayId, LastCareunit = s.LastCareunit,
                Intime = s.Intime, Outtime = s.Outtime, LosText = losText, LosDays = los,
                Admittime = a.Admittime, Dischtime = a.Dischtime, Deathtime = a.Deathtime, Ethnicity = a.Ethnicity,
                Gender = p.Gender, AnchorAge = p.AnchorAge, Dod = p.Dod, Age = age, MortalityInUnit = inUnit, Mortality = mortality,
            });
        }
        var adults = stays.Where(s => s.Age >= 18).ToList();
        flow.Add(new FlowStep("remove_age", "remove patients age < 18", adults.Count, adults.Select(x => x.HadmId).Distinct().LongCount(), adults.Select(x => x.SubjectId).Distinct().LongCount()));

        var (diagnoses, rows) = ReadDiagnoses(source, adults, compat, progress, ct);
        return new StayCohort(adults, diagnoses, flow, rows);
    }

    /// <summary>
    /// icustays.los in days. MedFuse reads it with pandas three times (icustays → stays.csv →
    /// episode{n}.csv → task script), each time through pandas' float parser and Python's repr;
    /// the text is what its all_stays.csv shows.
    /// </summary>
    static (string Text, double? Days) ParseLos(string text, CompatMode compat)
    {
        if (compat == CompatMode.None)
            return PythonFloat.TryParse(text, out var v) && double.IsFinite(v) ? (PythonFloat.Repr(v), v) : (text, null);
        if (!PythonFloat.TryParsePandas(text, out var d1)) return (text, null);
        var shown = PythonFloat.Repr(d1);
        PythonFloat.TryParsePandas(shown, out var d2);
        PythonFloat.TryParsePandas(PythonFloat.Repr(d2), out var d3);
        return (shown, d3);
    }

    static (IReadOnlyDictionary<long, IReadOnlyList<Diagnosis>>, long) ReadDiagnoses(MimicIvSource source, List<Stay> stays, CompatMode compat, IStageProgress progress, CancellationToken ct)
    {
        var stayByHadm = stays.ToDictionary(s => (s.SubjectId, s.HadmId), s => s.StayId);
        var rows = new List<(long Stay, int Seq, string Code, int Version)>();
        using (var step = progress.Step("read diagnoses_icd", unit: "rows"))
        {
            CsvSource.ForEachRow(source.DiagnosesIcd, ["subject_id", "hadm_id", "seq_num", "icd_code", "icd_version"], [],
                (row, c) =>
                {
                    var key = (CsvSource.Id(row, c[0], "subject_id")!.Value, CsvSource.Id(row, c[1], "hadm_id") ?? -1);
                    if (!stayByHadm.TryGetValue(key, out var stay)) return;
                    rows.Add((stay, (int)(CsvSource.Id(row, c[2], "seq_num") ?? 0), row[c[3]].ToString().Trim(),
                        (int)(CsvSource.Id(row, c[4], "icd_version") ?? 0)));
                }, step, ct);
        }
        var codes = new HashSet<string>(StringComparer.Ordinal);
        var versionedCodes = new HashSet<(string, int)>();
        var wanted = rows.Select(r => r.Code).ToHashSet(StringComparer.Ordinal);
        using (var step = progress.Step("read d_icd_diagnoses", unit: "rows"))
        {
            CsvSource.ForEachRow(source.DIcdDiagnoses, ["icd_code", "icd_version"], [],
                (row, c) =>
                {
                    var code = row[c[0]].ToString().Trim();
                    if (!wanted.Contains(code)) return;
                    // The reference joins on the code alone (a code spelt the same in ICD-9 and ICD-10
                    // matches either); the default joins on (code, version).
                    codes.Add(code);
                    versionedCodes.Add((code, (int)(CsvSource.Id(row, c[1], "icd_version") ?? 0)));
                }, step, ct);
        }
        var byStay = new Dictionary<long, IReadOnlyList<Diagnosis>>();
        long kept = 0;
        foreach (var g in rows.GroupBy(r => r.Stay))
        {
            var list = g.Where(r => compat == CompatMode.MedFuse ? codes.Contains(r.Code) : versionedCodes.Contains((r.Code, r.Version)))
                .OrderBy(r => r.Seq).Select(r => new Diagnosis(r.Stay, r.Seq, r.Code, r.Version)).ToList();
            kept += list.Count;
            if (list.Count > 0) byStay[g.Key] = list;
        }
        return (byStay, kept);
    }
}
