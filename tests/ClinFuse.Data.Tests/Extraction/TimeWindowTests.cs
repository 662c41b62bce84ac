using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>Episode and task windows on hand-made stays and events.</summary>
public sealed class TimeWindowTests
{
    static Stay MakeStay(long stayId, string intime, string outtime, long subject = 1, long hadm = 10) => new()
    {
        SubjectId = subject, HadmId = hadm, StayId = stayId, LastCareunit = "MICU",
        Intime = DateTime.Parse(intime, System.Globalization.CultureInfo.InvariantCulture),
        Outtime = DateTime.Parse(outtime, System.Globalization.CultureInfo.InvariantCulture),
        LosText = "1", LosDays = (DateTime.Parse(outtime, System.Globalization.CultureInfo.InvariantCulture) - DateTime.Parse(intime, System.Globalization.CultureInfo.InvariantCulture)).TotalDays,
        Admittime = DateTime.Parse(intime, System.Globalization.CultureInfo.InvariantCulture), Dischtime = DateTime.Parse(outtime, System.Globalization.CultureInfo.InvariantCulture).AddDays(1),
        Ethnicity = "WHITE", Gender = "F", AnchorAge = 60, Age = 60, MortalityInUnit = false, Mortality = false,
    };

    static CleanEvent Ev(int stay, string time, string variable, string text) =>
        new(stay, FastTime.Seconds(DateTime.Parse(time, System.Globalization.CultureInfo.InvariantCulture)), ExtractionResources.IndexOfVariable(variable), new CleanValue(0, text));

    static readonly int HeartRate = ExtractionResources.IndexOfVariable("Heart Rate");

    [Fact]
    public void Events_exactly_at_intime_and_outtime_belong_to_the_episode_across_midnight()
    {
        var stays = new[] { MakeStay(100, "2150-01-01 22:00:00", "2150-01-02 02:30:00") };
        foreach (var compat in new[] { CompatMode.MedFuse, CompatMode.None })
        {
            var episodes = EpisodeBuilder.Build(stays, [0], (CleanEvent[])[
                Ev(0, "2150-01-01 22:00:00", "Heart Rate", "80"),
                Ev(0, "2150-01-02 00:15:00", "Heart Rate", "81"),
                Ev(0, "2150-01-02 02:30:00", "Heart Rate", "82"),
            ], new HashSet<long> { 100 }, compat);
            var rows = Assert.Single(episodes).Rows;
            Assert.Equal([0.0, 2.25, 4.5], rows.Select(r => r.Hours));
        }
    }

    [Fact]
    public void Own_events_outside_the_window_are_kept_by_compat_and_dropped_by_default()
    {
        var stays = new[] { MakeStay(100, "2150-01-01 10:00:00", "2150-01-03 10:00:00") };
        List<CleanEvent> Events() => [Ev(0, "2150-01-01 08:00:00", "Glucose", "110"), Ev(0, "2150-01-01 12:00:00", "Heart Rate", "80")];
        var compat = EpisodeBuilder.Build(stays, [0], Events().ToArray(), new HashSet<long> { 100 }, CompatMode.MedFuse).Single();
        Assert.Equal([-2.0, 2.0], compat.Rows.Select(r => r.Hours));
        var fixedEpisode = EpisodeBuilder.Build(stays, [0], Events().ToArray(), new HashSet<long> { 100 }, CompatMode.None).Single();
        Assert.Equal([2.0], fixedEpisode.Rows.Select(r => r.Hours));
    }

    [Fact]
    public void Same_time_charted_for_two_stays_duplicates_the_row_in_compat_only()
    {
        // Two stays of one subject whose windows overlap the shared charttime.
        var stays = new[] { MakeStay(100, "2150-01-01 10:00:00", "2150-01-02 10:00:00", hadm: 10), MakeStay(200, "2150-01-02 09:00:00", "2150-01-03 10:00:00", hadm: 20) };
        List<CleanEvent> Events() => [Ev(0, "2150-01-02 09:30:00", "Heart Rate", "80"), Ev(1, "2150-01-02 09:30:00", "Heart Rate", "90")];
        var compat = EpisodeBuilder.Build(stays, [0, 1], Events().ToArray(), new HashSet<long> { 100, 200 }, CompatMode.MedFuse);
        Assert.Equal(2, compat[0].Rows.Count);
        Assert.All(compat[0].Rows, r => Assert.Equal("90", r.Cells[HeartRate])); // one value per time for the subject
        var fixedEpisodes = EpisodeBuilder.Build(stays, [0, 1], Events().ToArray(), new HashSet<long> { 100, 200 }, CompatMode.None);
        Assert.Equal("80", Assert.Single(fixedEpisodes[0].Rows).Cells[HeartRate]);
        Assert.Equal("90", Assert.Single(fixedEpisodes[1].Rows).Cells[HeartRate]);
    }

    [Fact]
    public void Ties_at_one_time_keep_the_largest_value_in_reference_order()
    {
        var stays = new[] { MakeStay(100, "2150-01-01 10:00:00", "2150-01-02 10:00:00") };
        var e = EpisodeBuilder.Build(stays, [0], (CleanEvent[])[
            Ev(0, "2150-01-01 11:00:00", "Respiratory rate", "16"),
            Ev(0, "2150-01-01 11:00:00", "Respiratory rate", "9"),
            new(0, FastTime.Seconds(new DateTime(2150, 1, 1, 11, 0, 0)), ExtractionResources.IndexOfVariable("Systolic blood pressure"), new CleanValue(95, null)),
            new(0, FastTime.Seconds(new DateTime(2150, 1, 1, 11, 0, 0)), ExtractionResources.IndexOfVariable("Systolic blood pressure"), new CleanValue(120, null)),
        ], new HashSet<long> { 100 }, CompatMode.MedFuse).Single();
        var row = Assert.Single(e.Rows);
        Assert.Equal("9", row.Cells[ExtractionResources.IndexOfVariable("Respiratory rate")]);
        Assert.Equal("120.0", row.Cells[ExtractionResources.IndexOfVariable("Systolic blood pressure")]);
    }

    [Fact]
    public void Episodes_are_numbered_by_intime_and_empty_stays_keep_their_number()
    {
        var stays = new[] { MakeStay(300, "2150-03-01 10:00:00", "2150-03-02 10:00:00", hadm: 30), MakeStay(100, "2150-01-01 10:00:00", "2150-01-02 10:00:00", hadm: 10), MakeStay(200, "2150-02-01 10:00:00", "2150-02-02 10:00:00", hadm: 20) };
        var episodes = EpisodeBuilder.Build(stays, [0, 1, 2], (CleanEvent[])[Ev(0, "2150-03-01 12:00:00", "Heart Rate", "80"), Ev(1, "2150-01-01 12:00:00", "Heart Rate", "80")],
            new HashSet<long> { 100, 200, 300 }, CompatMode.MedFuse);
        Assert.Equal([(100L, 1), (300L, 3)], episodes.Select(e => (e.Stay.StayId, e.Number)));
        Assert.Equal("1_episode3_timeseries.csv", episodes[1].SeriesFileName);
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(-0.0000005, true)]
    [InlineData(-0.000002, false)]
    [InlineData(48.0, true)]
    [InlineData(48.0000005, true)]
    [InlineData(48.00001, false)]
    public void Ihm_period_is_open_by_one_microhour_at_both_ends(double hours, bool inside) =>
        Assert.Equal(inside, TaskBuilder.InPeriod(hours, TaskBuilder.IhmHours));

    [Fact]
    public void Ihm_needs_48_hours_of_stay_and_phenotyping_uses_the_whole_stay()
    {
        var shortStay = MakeStay(100, "2150-01-01 00:00:00", "2150-01-02 23:59:59");
        var longStay = MakeStay(200, "2150-01-05 00:00:00", "2150-01-08 00:00:00", hadm: 20);
        var rows = new List<EpisodeRow> { new(1, new string?[17]), new(60, new string?[17]) };
        var episodes = new[] { new Episode(shortStay, 1, rows, null, null, true), new Episode(longStay, 2, rows, null, null, true) };
        var splits = new Dictionary<long, Split> { [1] = Split.Train };
        var excluded = new TaskExclusions();
        var ihm = TaskBuilder.Build(ClinicalTask.InHospitalMortality, episodes, splits, new Dictionary<long, IReadOnlyList<Diagnosis>>(), CompatMode.None, (_, _) => null, excluded);
        var sample = Assert.Single(ihm);
        Assert.Equal(200, sample.Episode.Stay.StayId);
        Assert.Equal(1, sample.RowsInPeriod);
        Assert.Equal(1, excluded.LosTooShort);
        var pheno = TaskBuilder.Build(ClinicalTask.Phenotyping, episodes, splits, new Dictionary<long, IReadOnlyList<Diagnosis>>(), CompatMode.None, (_, _) => null, new TaskExclusions());
        Assert.Equal([1, 2], pheno.Select(s => s.RowsInPeriod));
        Assert.Equal(72.0, pheno[1].PeriodHours, 9);
    }

    [Fact]
    public void Stays_without_diagnoses_are_excluded_from_both_tasks()
    {
        var stay = MakeStay(200, "2150-01-05 00:00:00", "2150-01-08 00:00:00");
        var episodes = new[] { new Episode(stay, 1, [new EpisodeRow(1, new string?[17])], null, null, HasDiagnoses: false) };
        var excluded = new TaskExclusions();
        Assert.Empty(TaskBuilder.Build(ClinicalTask.Phenotyping, episodes, new Dictionary<long, Split> { [1] = Split.Train },
            new Dictionary<long, IReadOnlyList<Diagnosis>>(), CompatMode.MedFuse, (_, _) => null, excluded));
        Assert.Equal(1, excluded.NoDiagnoses);
    }

    [Fact]
    public async Task Admissions_with_several_stays_and_transfers_leave_the_cohort()
    {
        using var mimic = new MiniMimic();
        mimic.Stay(1, 10, 100, "2150-01-01 10:00:00", "2150-01-04 10:00:00", 3.0)
             .Stay(2, 20, 200, "2150-01-01 10:00:00", "2150-01-02 10:00:00", 1.0)
             .Stay(2, 20, 201, "2150-01-03 10:00:00", "2150-01-05 10:00:00", 2.0)
             .Stay(3, 30, 300, "2150-01-01 10:00:00", "2150-01-04 10:00:00", 3.0)
             .Stay(4, 40, 400, "2150-01-01 10:00:00", "2150-01-04 10:00:00", 3.0, age: 16);
        mimic.IcuStays[^2] = mimic.IcuStays[^2].Replace("MICU,MICU", "MICU,SICU");
        foreach (var s in new[] { (1, 10, 100), (2, 20, 200), (2, 20, 201), (3, 30, 300), (4, 40, 400) })
            mimic.Event(s.Item1, s.Item2, s.Item3, "2150-01-03 12:00:00", 220045, "80");
        mimic.Write();
        using var output = Fixtures.TempFolder();
        var result = await Extractor.RunAsync(new ExtractionOptions { MimicIv = mimic.Root, Out = output.Combine("c") }, new ComputeSettings(1), StageProgress.None);
        var store = CohortStore.Open(result.Folder);
        Assert.Equal([100L], store.Stays.Select(s => s.StayId));
        Assert.Equal(4, result.Manifest.Counts["cohort.remove_transfers.stays"]);
        Assert.Equal(2, result.Manifest.Counts["cohort.remove_multistay.stays"]);
        Assert.Equal(1, result.Manifest.Counts["cohort.remove_age.stays"]);
    }
}
