using System.Globalization;
using ClinFuse.Data.Synthetic;

namespace ClinFuse.Data.Tests.Synthetic;

/// <summary>
/// The 400-patient cohort against its stated targets, and the truth files against the tables: labels
/// and pairing flags recomputed from the MIMIC tables with the reference extraction's rules must equal
/// what truth/stays.csv says.
/// </summary>
public sealed class SynthCohortStatisticsTests(SynthCohortFixture cohort) : IClassFixture<SynthCohortFixture>
{
    CsvTable Truth => cohort.Table("truth/stays.csv");

    List<string[]> TruthWhere(string flag) => Truth.Rows.Where(r => r[Truth.Column(flag)] == "1").ToList();

    double Fraction(List<string[]> rows, string column) => rows.Count(r => r[Truth.Column(column)] == "1") / (double)rows.Count;

    static DateTime Time(string s) => DateTime.ParseExact(s, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    [Fact]
    public void Prevalence_pairing_and_stay_lengths_are_within_tolerance()
    {
        var ihm = TruthWhere("ihm_eligible");
        var pheno = TruthWhere("pheno_eligible");
        Assert.InRange(ihm.Count, 150, 400);
        // Targets: IHM 12.5 %, paired 25 % (IHM) and 18 % (phenotyping); tolerances ≈ 3 binomial SDs.
        Assert.InRange(Fraction(ihm, "ihm_label"), 0.07, 0.19);
        Assert.InRange(Fraction(ihm, "ihm_paired"), 0.16, 0.34);
        Assert.InRange(Fraction(pheno, "pheno_paired"), 0.11, 0.26);
        var los = Truth.Rows.Select(r => double.Parse(r[Truth.Column("los_hours")], CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(los.Count(h => h < 48) / (double)los.Count, 0.4, 0.65);
        Assert.True(los.Min() >= 4 && los.Max() <= 1440);
    }

    [Fact]
    public void Phenotype_prevalences_follow_the_model()
    {
        var pheno = TruthWhere("pheno_eligible");
        for (int k = 0; k < 25; k++)
        {
            double target = CohortModel.Phenotypes[k].Prevalence;
            double observed = Fraction(pheno, $"ph{k:00}_label");
            double sd = Math.Sqrt(target * (1 - target) / pheno.Count);
            // Admissions share labels across stays, so allow 5 SDs plus a small margin.
            Assert.InRange(observed, target - 5 * sd - 0.02, target + 5 * sd + 0.02);
        }
    }

    [Fact]
    public void Cohort_contains_the_structures_the_extraction_must_handle()
    {
        Assert.Contains(Truth.Rows, r => r[Truth.Column("single_stay_admission")] == "0");
        Assert.Contains(Truth.Rows, r => r[Truth.Column("single_unit")] == "0");
        Assert.Contains(Truth.Rows, r => r[Truth.Column("has_events")] == "0" || r[Truth.Column("has_diagnoses")] == "0");
        var patients = cohort.Table(SynthTable.Patients);
        Assert.True(patients.Rows.Select(r => r[0]).Distinct().Count() == patients.Rows.Count);
        Assert.Contains(Truth.Rows.GroupBy(r => r[0]), g => g.Select(r => r[1]).Distinct().Count() > 1);

        // Deaths out of hospital: dod after the patient's last discharge.
        var admissions = cohort.Table(SynthTable.Admissions);
        var lastDischarge = admissions.Rows.GroupBy(r => r[0]).ToDictionary(g => g.Key, g => g.Max(r => Time(r[3])));
        Assert.Contains(patients.Rows, p => p[5].Length > 0 && DateTime.Parse(p[5], CultureInfo.InvariantCulture) > lastDischarge[p[0]].Date);

        var chart = cohort.Table(SynthTable.ChartEvents);
        Assert.Contains(chart.Rows, r => r[7].Length == 0);
        Assert.Contains(chart.Rows, r => r[6] == "223761" && double.Parse(r[8], CultureInfo.InvariantCulture) < 45);
        Assert.True(chart.Rows.Count > chart.Rows.Select(r => string.Join(',', r)).Distinct().Count(), "no duplicate rows");
        var stays = cohort.Table(SynthTable.IcuStays).Rows.ToDictionary(r => r[2], r => (In: Time(r[5]), Out: Time(r[6])));
        Assert.Contains(chart.Rows, r => Time(r[4]) < stays[r[2]].In);
        var itemIds = chart.Rows.Select(r => r[6]).ToHashSet();
        foreach (var mapped in new[] { "220045", "220179", "220180", "220181", "220210", "220277", "223761", "220739", "223900", "223901", "225664", "223835", "223830", "226512", "224639" })
            Assert.Contains(mapped, itemIds);
    }

    [Fact]
    public void Mortality_labels_equal_the_reference_rule_applied_to_the_tables()
    {
        var admissions = cohort.Table(SynthTable.Admissions).Rows.ToDictionary(r => r[1]);
        var dod = cohort.Table(SynthTable.Patients).Rows.ToDictionary(r => r[0], r => r[5]);
        int deathsInIcu = 0, deathsOnWard = 0;
        foreach (var stay in Truth.Rows)
        {
            var adm = admissions[stay[1]];
            DateTime admit = Time(adm[2]), disch = Time(adm[3]);
            bool byDeathtime = adm[4].Length > 0 && Time(adm[4]) >= admit && Time(adm[4]) <= disch;
            bool byDod = dod[stay[0]].Length > 0 && DateTime.Parse(dod[stay[0]], CultureInfo.InvariantCulture) is var d && d >= admit && d <= disch;
            bool expected = byDeathtime || byDod;
            Assert.Equal(expected ? "1" : "0", stay[Truth.Column("ihm_label")]);
            if (adm[4].Length > 0) { if (adm[4] == stay[Truth.Column("outtime")]) deathsInIcu++; else deathsOnWard++; }
        }
        Assert.True(deathsInIcu > 0 && deathsOnWard > 0);
    }

    [Fact]
    public void Phenotype_labels_equal_the_ccs_groups_of_the_diagnosis_codes()
    {
        var codeGroup = new Dictionary<string, int>();
        foreach (var code in SyntheticResources.IcdCodes) if (code.Group >= 0) codeGroup[code.Code] = code.Group;
        var groupsByAdmission = new Dictionary<string, HashSet<int>>();
        foreach (var row in cohort.Table(SynthTable.DiagnosesIcd).Rows)
        {
            if (!groupsByAdmission.TryGetValue(row[1], out var set)) groupsByAdmission[row[1]] = set = [];
            if (codeGroup.TryGetValue(row[3], out int g)) set.Add(g);
        }
        foreach (var stay in Truth.Rows)
        {
            if (stay[Truth.Column("has_diagnoses")] == "0") { Assert.False(groupsByAdmission.ContainsKey(stay[1])); continue; }
            var groups = groupsByAdmission[stay[1]];
            for (int k = 0; k < 25; k++)
                Assert.Equal(groups.Contains(k) ? "1" : "0", stay[Truth.Column($"ph{k:00}_label")]);
        }
    }

    [Fact]
    public void Pairing_flags_equal_the_reference_linkage_rule_applied_to_the_cxr_metadata()
    {
        var apTimes = new Dictionary<string, List<DateTime>>();
        foreach (var row in cohort.Table(SynthTable.CxrMetadata).Rows)
        {
            if (row[4] != "AP") continue;
            // StudyTime truncated to whole seconds and zero-padded to hhmmss, as in the reference.
            string hhmmss = ((long)double.Parse(row[8], CultureInfo.InvariantCulture)).ToString("000000", CultureInfo.InvariantCulture);
            var t = DateTime.ParseExact(row[7] + hhmmss, "yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            if (!apTimes.TryGetValue(row[1], out var list)) apTimes[row[1]] = list = [];
            list.Add(t);
        }
        int paired = 0;
        foreach (var stay in Truth.Rows)
        {
            DateTime inTime = Time(stay[Truth.Column("intime")]), outTime = Time(stay[Truth.Column("outtime")]);
            var times = apTimes.GetValueOrDefault(stay[0]) ?? [];
            bool ihm = times.Exists(t => t >= inTime && t <= inTime.AddHours(48));
            bool pheno = times.Exists(t => t >= inTime && t <= outTime);
            Assert.Equal(ihm ? "1" : "0", stay[Truth.Column("ihm_paired")]);
            Assert.Equal(pheno ? "1" : "0", stay[Truth.Column("pheno_paired")]);
            paired += pheno ? 1 : 0;
        }
        Assert.True(paired > 20);
    }

    [Fact]
    public void Oracle_probabilities_are_calibrated_against_the_sampled_labels()
    {
        // One label per admission (stays of an admission share it): pool IHM and the 25 phenotypes.
        var perAdmission = Truth.Rows.GroupBy(r => r[1]).Select(g => g.First()).ToList();
        var pairs = new List<(double P, int Y)>();
        foreach (var row in perAdmission)
        {
            pairs.Add((double.Parse(row[Truth.Column("ihm_p")], CultureInfo.InvariantCulture), int.Parse(row[Truth.Column("ihm_label")], CultureInfo.InvariantCulture)));
            for (int k = 0; k < 25; k++)
                pairs.Add((double.Parse(row[Truth.Column($"ph{k:00}_p")], CultureInfo.InvariantCulture), int.Parse(row[Truth.Column($"ph{k:00}_label")], CultureInfo.InvariantCulture)));
        }
        pairs.Sort((a, b) => a.P.CompareTo(b.P));
        int bins = 10;
        for (int b = 0; b < bins; b++)
        {
            var bin = pairs.GetRange(b * pairs.Count / bins, (b + 1) * pairs.Count / bins - b * pairs.Count / bins);
            double expected = bin.Sum(x => x.P), variance = bin.Sum(x => x.P * (1 - x.P));
            double observed = bin.Sum(x => x.Y);
            Assert.True(Math.Abs(observed - expected) < 4 * Math.Sqrt(variance) + 1,
                $"decile {b}: {observed} events, oracle expects {expected:F1} ± {Math.Sqrt(variance):F1}");
        }
    }

    [Fact]
    public void Oracle_metrics_show_fusion_beating_either_modality()
    {
        var oracle = cohort.Result.Oracle;
        foreach (var task in new[] { oracle.InHospitalMortality, oracle.Phenotyping })
        {
            Assert.True(task.MacroAurocFused > task.MacroAurocSeriesOnly, $"{task.Task}: fused {task.MacroAurocFused} vs series {task.MacroAurocSeriesOnly}");
            Assert.True(task.MacroAurocFused > task.MacroAurocImageOnly, $"{task.Task}: fused {task.MacroAurocFused} vs images {task.MacroAurocImageOnly}");
            Assert.InRange(task.MacroAurocSeriesOnly, 0.55, 0.95);
            Assert.InRange(task.MacroAurocImageOnly, 0.5, 0.95);
        }
        Assert.True(File.Exists(Path.Combine(cohort.Root, "truth", "oracle_metrics.json")));
        Assert.True(File.Exists(Path.Combine(cohort.Root, "truth", "generator.json")));
    }
}
