using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>Behaviour outside the golden set: value edge cases, windows, the in-memory input form.</summary>
public sealed class DiscretizerBehaviourTests
{
    static readonly Discretizer Discretizer = new();
    static readonly DiscretizerConfig Config = DiscretizerConfig.Reference;
    static readonly int HeartRate = SeriesChannels.IndexOf(SeriesChannels.HeartRate);
    static readonly int GcsVerbal = SeriesChannels.IndexOf(SeriesChannels.GcsVerbalResponse);
    static readonly int HeartRateColumn = Config.BeginColumn(SeriesChannels.IndexOf(SeriesChannels.HeartRate));

    [Theory]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e400")]
    public void Non_finite_numbers_are_rejected(string value)
    {
        var error = Assert.Throws<ClinFuseException>(() => SeriesEpisode.FromObservations([new(1, HeartRate, value)], source: "stay 7"));
        Assert.Contains("stay 7", error.Message);
        Assert.Contains($"'{value}' of 'Heart Rate'", error.Message);
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("12,5")]
    [InlineData("1_000")]
    [InlineData(" ")]
    public void Non_numeric_text_is_rejected_or_ignored_by_policy(string value)
    {
        Assert.Throws<ClinFuseException>(() => SeriesEpisode.FromObservations([new(1, HeartRate, value)]));
        var tolerant = SeriesEpisode.FromObservations([new(1, HeartRate, value), new(2, HeartRate, "90")], policy: InvalidValuePolicy.TreatAsMissing);
        Assert.Equal(1, tolerant.IgnoredValueCount);
        var m = Discretizer.Transform(tolerant, 48);
        Assert.Equal(86f, m.Row(0)[HeartRateColumn]); // normal value: the ignored cell is missing
        Assert.Equal(90f, m.Row(1)[HeartRateColumn]);
    }

    [Fact]
    public void Categories_are_matched_exactly_including_case_and_spaces()
    {
        Assert.Throws<ClinFuseException>(() => SeriesEpisode.FromObservations([new(1, GcsVerbal, "confused")]));
        Assert.Throws<ClinFuseException>(() => SeriesEpisode.FromObservations([new(1, GcsVerbal, " Confused")]));
        var m = Discretizer.Transform(SeriesEpisode.FromObservations([new(1, GcsVerbal, "Confused")]), 48);
        int confused = Config.BeginColumn(GcsVerbal) + 2;
        Assert.Equal("Glascow coma scale verbal response->Confused", Config.Header.Names[confused]);
        Assert.Equal(1f, m.Row(0)[confused]);
    }

    [Fact]
    public void Surrounding_white_space_of_numbers_is_accepted_like_python_float()
    {
        var m = Discretizer.Transform(SeriesEpisode.FromObservations([new(1, HeartRate, " 72 ")]), 48);
        Assert.Equal(72f, m.Row(0)[HeartRateColumn]);
    }

    [Fact]
    public void Empty_episode_gives_normal_values_and_zero_masks_for_every_step()
    {
        var m = Discretizer.Transform(SeriesEpisode.FromObservations([]), 10.5);
        Assert.Equal(11, m.Steps);
        for (int step = 0; step < m.Steps; step++)
        {
            var row = m.Row(step);
            Assert.Equal(86f, row[HeartRateColumn]);
            Assert.All(row[Config.ValueColumnCount..].ToArray(), mask => Assert.Equal(0f, mask));
        }
    }

    [Theory]
    [InlineData(-0.999, 0)]
    [InlineData(-0.5, 0)]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 0)]
    [InlineData(1.0000005, 0)]
    [InlineData(1.0000015, 1)]
    [InlineData(2.0, 1)]
    [InlineData(47.5, 47)]
    [InlineData(48.0, 47)]
    public void Event_time_maps_to_the_reference_bin(double hours, int expectedBin)
    {
        var m = Discretizer.Transform(SeriesEpisode.FromObservations([new(hours, HeartRate, "120")]), 48);
        for (int step = 0; step < m.Steps; step++)
            Assert.Equal(step == expectedBin ? 1f : 0f, m.Row(step)[Config.MaskColumn(HeartRate)]);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-1.5)]
    [InlineData(-30)]
    [InlineData(48.5)]
    [InlineData(1000)]
    public void Events_outside_the_window_are_skipped(double hours)
    {
        var m = Discretizer.Transform(SeriesEpisode.FromObservations([new(hours, HeartRate, "120")]), 48);
        Assert.Equal(48, m.Steps);
        for (int step = 0; step < m.Steps; step++)
        {
            Assert.Equal(0f, m.Row(step)[Config.MaskColumn(HeartRate)]);
            Assert.Equal(86f, m.Row(step)[HeartRateColumn]);
        }
    }

    [Fact]
    public void Episodes_longer_than_the_cut_are_truncated_for_mortality_and_kept_whole_for_phenotyping()
    {
        var observations = Enumerable.Range(0, 200).Select(h => new SeriesObservation(h + 0.5, HeartRate, (60 + h).ToString())).ToArray();
        var episode = SeriesEpisode.FromObservations(observations);
        var ihm = Discretizer.Transform(episode, EpisodeWindow.EndHours(ClinicalTask.InHospitalMortality, 0));
        var pheno = Discretizer.Transform(episode, EpisodeWindow.EndHours(ClinicalTask.Phenotyping, 199.75));
        Assert.Equal(48, ihm.Steps);
        Assert.Equal(200, pheno.Steps);
        Assert.Equal(60f + 47, ihm.Row(47)[HeartRateColumn]);
        Assert.Equal(60f + 199, pheno.Row(199)[HeartRateColumn]);
        Assert.Equal(ihm.Values, pheno.Values[..ihm.Values.Length]);
    }

    [Theory]
    [InlineData(48.0, 48)]
    [InlineData(30.0, 30)]
    [InlineData(30.2, 31)]
    [InlineData(0.0, 0)]
    [InlineData(0.5, 1)]
    public void Step_count_follows_the_reference_formula(double end, int steps) => Assert.Equal(steps, Discretizer.StepCount(end));

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(1e9)]
    public void Impossible_episode_ends_are_rejected(double end) =>
        Assert.Throws<ClinFuseException>(() => Discretizer.StepCount(end));

    [Fact]
    public void In_memory_observations_give_the_same_matrix_as_the_csv_file()
    {
        string path = GoldenFiles.EpisodePath("10000000_ep01_typical");
        var fromCsv = EpisodeCsvReader.Read(path);
        var observations = new List<SeriesObservation>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = line.Split(',');
            for (int ch = 0; ch < SeriesChannels.Count; ch++)
                if (cells[ch + 1].Length > 0) observations.Add(new(double.Parse(cells[0], System.Globalization.CultureInfo.InvariantCulture), ch, cells[ch + 1]));
        }
        observations.Reverse(); // the in-memory form sorts by time itself
        var fromMemory = SeriesEpisode.FromObservations(observations.OrderBy(o => o.Hours));
        var shuffled = SeriesEpisode.FromObservations(observations);
        Assert.Equal(Discretizer.Transform(fromCsv, 60.25).Values, Discretizer.Transform(fromMemory, 60.25).Values);
        Assert.Equal(Discretizer.Transform(fromCsv, 60.25).Values, Discretizer.Transform(shuffled, 60.25).Values);
    }

    [Fact]
    public void Same_time_observations_keep_input_order_so_the_last_one_wins()
    {
        var m = Discretizer.Transform(SeriesEpisode.FromObservations([new(3, HeartRate, "70"), new(2.5, HeartRate, "60"), new(3, HeartRate, "80")]), 48);
        Assert.Equal(80f, m.Row(2)[HeartRateColumn]);
    }

    [Theory]
    [InlineData("Hours,a,b\n1,2,3\n", "first line must be the header")]
    [InlineData("", "first line must be the header")]
    [InlineData("Time,Capillary refill rate,Diastolic blood pressure,Fraction inspired oxygen,Glascow coma scale eye opening,Glascow coma scale motor response,Glascow coma scale total,Glascow coma scale verbal response,Glucose,Heart Rate,Height,Mean blood pressure,Oxygen saturation,Respiratory rate,Systolic blood pressure,Temperature,Weight,pH\n", "first line must be the header")]
    [InlineData("Hours,Capillary refill rate,Diastolic blood pressure,Fraction inspired oxygen,Glascow coma scale eye opening,Glascow coma scale motor response,Glascow coma scale total,Glascow coma scale verbal response,Glucose,Heart Rate,Height,Mean blood pressure,Oxygen saturation,Respiratory rate,Systolic blood pressure,Temperature,Weight,pH\n1.0,,,\n", "line 2: expected 18")]
    [InlineData("Hours,Capillary refill rate,Diastolic blood pressure,Fraction inspired oxygen,Glascow coma scale eye opening,Glascow coma scale motor response,Glascow coma scale total,Glascow coma scale verbal response,Glucose,Heart Rate,Height,Mean blood pressure,Oxygen saturation,Respiratory rate,Systolic blood pressure,Temperature,Weight,pH\nsoon,,,,,,,,,80,,,,,,,,\n", "line 2: Hours 'soon'")]
    public void Malformed_files_are_rejected_with_the_line(string text, string expected)
    {
        var error = Assert.Throws<ClinFuseException>(() => EpisodeCsvReader.Read(new StringReader(text), "x.csv"));
        Assert.StartsWith("x.csv", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var error = Assert.Throws<ClinFuseException>(() => EpisodeCsvReader.Read("/nonexistent/episode.csv"));
        Assert.Contains("/nonexistent/episode.csv", error.Message);
    }

    [Fact]
    public void Destination_too_small_is_an_argument_error() =>
        Assert.Throws<ArgumentException>(() => Discretizer.Transform(SeriesEpisode.FromObservations([]), 48, new float[47 * 76].AsSpan()));
}
