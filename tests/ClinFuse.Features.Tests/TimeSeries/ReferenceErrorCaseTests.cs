using ClinFuse.Core;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>
/// The inputs on which the reference raises (expected_errors.json): each is either reproduced as a
/// ClinFuseException naming file, line and value, or deliberately handled.
/// </summary>
public sealed class ReferenceErrorCaseTests
{
    static readonly Discretizer Discretizer = new();
    static readonly int HeartRate = SeriesChannels.IndexOf(SeriesChannels.HeartRate);

    [Fact]
    public void Every_reference_error_case_is_covered_here()
    {
        var names = GoldenFiles.Json("expected_errors.json").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray();
        Assert.Equal<string>(
            ["err01_unknown_category_gcs_total_float", "err02_unknown_category_string", "err03_decreasing_hours",
             "err04_time_at_or_before_minus_1", "err05_non_numeric_continuous", "err06_header_only", "err07_trailing_blank_line"],
            names);
    }

    [Theory]
    [InlineData("err01_unknown_category_gcs_total_float", "'15.0' is not a category of 'Glascow coma scale total'")]
    [InlineData("err02_unknown_category_string", "'Oriented x3' is not a category of 'Glascow coma scale verbal response'")]
    [InlineData("err05_non_numeric_continuous", "'abc' of 'Heart Rate' is not a number")]
    public void Invalid_cells_are_rejected_with_file_line_channel_and_value(string name, string problem)
    {
        string path = GoldenFiles.ErrorEpisodePath(name);
        var error = Assert.Throws<ClinFuseException>(() => EpisodeCsvReader.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 2", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Contains("TreatAsMissing", error.Hint);
    }

    [Theory]
    [InlineData("err01_unknown_category_gcs_total_float")]
    [InlineData("err02_unknown_category_string")]
    [InlineData("err05_non_numeric_continuous")]
    public void Invalid_cells_can_be_treated_as_missing(string name)
    {
        var episode = EpisodeCsvReader.Read(GoldenFiles.ErrorEpisodePath(name), policy: InvalidValuePolicy.TreatAsMissing);
        Assert.Equal(0, episode.EventCount);
        Assert.Equal(1, episode.IgnoredValueCount);
        AssertSameMatrix(Empty(), episode);
    }

    [Fact]
    public void Decreasing_hours_are_rejected_naming_the_line()
    {
        string path = GoldenFiles.ErrorEpisodePath("err03_decreasing_hours");
        var error = Assert.Throws<ClinFuseException>(() => EpisodeCsvReader.Read(path));
        Assert.Contains("line 3", error.Message);
        Assert.Contains("5 then 4", error.Message);
    }

    [Fact]
    public void Events_at_or_before_minus_one_hour_are_skipped_instead_of_failing()
    {
        var episode = EpisodeCsvReader.Read(GoldenFiles.ErrorEpisodePath("err04_time_at_or_before_minus_1"));
        Assert.Equal(2, episode.EventCount);
        AssertSameMatrix(SeriesEpisode.FromObservations([new(2.0, HeartRate, "81")]), episode);
    }

    [Fact]
    public void Header_only_file_is_an_empty_episode_equal_to_the_reference_all_imputed_matrix()
    {
        var episode = EpisodeCsvReader.Read(GoldenFiles.ErrorEpisodePath("err06_header_only"));
        Assert.Equal(0, episode.EventCount);
        // ep06's rows all lie after 48 h, so the reference's IHM matrix is the all-normal-values matrix.
        var (_, expected) = GoldenFiles.Matrix("10000005_ep06_empty_after_cut", Core.Tasks.ClinicalTask.InHospitalMortality, normalized: false);
        var actual = new double[48 * 76];
        Assert.Equal(48, Discretizer.Transform(episode, 48, actual.AsSpan()));
        Assert.Equal(expected.SelectMany(r => r), actual);
    }

    [Fact]
    public void Blank_lines_are_ignored()
    {
        var episode = EpisodeCsvReader.Read(GoldenFiles.ErrorEpisodePath("err07_trailing_blank_line"));
        AssertSameMatrix(SeriesEpisode.FromObservations([new(1.0, HeartRate, "80")]), episode);
    }

    static SeriesEpisode Empty() => SeriesEpisode.FromObservations([]);

    static void AssertSameMatrix(SeriesEpisode expected, SeriesEpisode actual)
    {
        var a = new double[48 * 76];
        var b = new double[48 * 76];
        Discretizer.Transform(expected, 48, a.AsSpan());
        Discretizer.Transform(actual, 48, b.AsSpan());
        Assert.Equal(a, b);
    }
}
