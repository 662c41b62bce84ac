using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>The default (fixed) extraction on the demo: what the fixes change, and the split invariants.</summary>
public sealed class DefaultModeTests(DefaultDemo demo, MedFuseDemo medfuse) : IClassFixture<DefaultDemo>, IClassFixture<MedFuseDemo>
{
    [Fact]
    public void No_subject_is_in_two_splits_and_every_split_is_used()
    {
        var store = CohortStore.Open(demo.Out);
        var perSubject = store.Stays.GroupBy(s => s.SubjectId).ToList();
        Assert.All(perSubject, g => Assert.Single(g.Select(s => s.Split).Distinct()));
        foreach (var task in new[] { ClinicalTask.InHospitalMortality, ClinicalTask.Phenotyping })
        {
            var samples = store.Samples(task);
            Assert.All(samples.GroupBy(s => s.SubjectId), g => Assert.Single(g.Select(s => s.Split).Distinct()));
            Assert.Equal(3, samples.Select(s => s.Split).Distinct().Count());
        }
    }

    [Fact]
    public void Redacted_serum_glucose_is_recovered_from_valuenum()
    {
        Assert.True(demo.Result.Manifest.Counts["variable.Glucose"] > medfuse.Result.Manifest.Counts["variable.Glucose"] + 1000);
    }

    [Fact]
    public void Episodes_hold_only_the_stays_own_window_and_no_duplicate_times()
    {
        var store = CohortStore.Open(demo.Out);
        foreach (var stay in store.Stays.Where(s => s.Episode is not null))
        {
            var rows = store.Episode(stay.StayId);
            var hours = (stay.Outtime - stay.Intime).TotalHours;
            Assert.All(rows, r => Assert.InRange(r.Hours, 0, hours + 1e-9));
            Assert.Equal(rows.Count, rows.Select(r => r.Hours).Distinct().Count());
        }
    }

    [Fact]
    public void Fio2_is_a_fraction_and_height_is_in_centimetres()
    {
        var store = CohortStore.Open(demo.Out);
        var fio2 = ExtractionResources.IndexOfVariable("Fraction inspired oxygen");
        var height = ExtractionResources.IndexOfVariable("Height");
        var values = store.Stays.Where(s => s.Episode is not null).SelectMany(s => store.Episode(s.StayId)).ToList();
        var fractions = values.Where(v => v.Values[fio2] is not null).Select(v => double.Parse(v.Values[fio2]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(fractions);
        Assert.All(fractions, f => Assert.InRange(f, 0.2, 1.0));
        var heights = values.Where(v => v.Values[height] is not null).Select(v => double.Parse(v.Values[height]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.All(heights, h => Assert.InRange(h, 100, 240));
    }

    [Fact]
    public void Gcs_eye_opening_none_is_kept_as_text()
    {
        var store = CohortStore.Open(demo.Out);
        var eye = ExtractionResources.IndexOfVariable("Glascow coma scale eye opening");
        Assert.Contains(store.Stays.Where(s => s.Episode is not null).SelectMany(s => store.Episode(s.StayId)), r => r.Values[eye] == "None");
    }

    [Fact]
    public void Flow_table_lists_every_filter_and_split()
    {
        Assert.Contains("remove ICU transfers", demo.Result.FlowTable);
        Assert.Contains("| samples |", demo.Result.FlowTable);
        Assert.Contains("positive: Shock", demo.Result.FlowTable);
        Assert.True(File.Exists(Path.Combine(demo.Out, CohortStore.FlowFile)));
        Assert.Equal(7, demo.Result.Manifest.Inputs.Count);
        Assert.All(demo.Result.Manifest.Inputs, i => Assert.Equal(64, i.Sha256.Length));
    }
}
