using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>Age and mortality: MedFuse's definitions and the default's fixes.</summary>
public sealed class DemographicsTests
{
    static async Task<StayRow> Extract(CompatMode compat, Action<MiniMimic> setup)
    {
        using var mimic = new MiniMimic();
        setup(mimic);
        mimic.Write();
        using var output = Fixtures.TempFolder();
        var result = await Extractor.RunAsync(new ExtractionOptions { MimicIv = mimic.Root, Out = output.Combine("c"), Compat = compat }, new ComputeSettings(1), StageProgress.None);
        return CohortStore.Open(result.Folder).Stays.Single();
    }

    static void OneStayTwoYearsAfterAnchor(MiniMimic m) =>
        m.Stay(1, 10, 100, "2152-06-01 10:00:00", "2152-06-04 10:00:00", 3.0, age: 60)
         .Event(1, 10, 100, "2152-06-01 12:00:00", 220045, "80");

    [Fact]
    public async Task Age_is_anchor_age_in_compat_and_age_at_admission_by_default()
    {
        Assert.Equal(60, (await Extract(CompatMode.MedFuse, OneStayTwoYearsAfterAnchor)).Age);
        Assert.Equal(62, (await Extract(CompatMode.None, OneStayTwoYearsAfterAnchor)).Age);
    }

    [Fact]
    public async Task Date_of_death_on_the_discharge_day_counts_only_in_compat()
    {
        void Setup(MiniMimic m)
        {
            OneStayTwoYearsAfterAnchor(m);
            // Died at home the day of discharge: dod (a date, midnight) falls inside the admission.
            m.Patients[1] = m.Patients[1][..m.Patients[1].LastIndexOf(',')] + ",2152-06-04";
        }
        Assert.Equal(1, (await Extract(CompatMode.MedFuse, Setup)).Mortality);
        Assert.Equal(0, (await Extract(CompatMode.None, Setup)).Mortality);
    }

    [Fact]
    public async Task In_hospital_death_counts_in_both_modes()
    {
        void Setup(MiniMimic m) =>
            m.Stay(1, 10, 100, "2152-06-01 10:00:00", "2152-06-04 10:00:00", 3.0, deathtime: "2152-06-04 09:00:00")
             .Event(1, 10, 100, "2152-06-01 12:00:00", 220045, "80");
        var compat = await Extract(CompatMode.MedFuse, Setup);
        var fixedRow = await Extract(CompatMode.None, Setup);
        Assert.Equal((1, 1), (compat.Mortality, compat.MortalityInUnit));
        Assert.Equal((1, 1), (fixedRow.Mortality, fixedRow.MortalityInUnit));
    }
}
