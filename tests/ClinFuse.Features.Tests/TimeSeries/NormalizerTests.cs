using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

public sealed class NormalizerTests
{
    static readonly Discretizer Discretizer = new();
    static readonly DiscretizerConfig Config = DiscretizerConfig.Reference;
    static readonly int HeartRate = SeriesChannels.IndexOf(SeriesChannels.HeartRate);
    static readonly int HeartRateColumn = Config.BeginColumn(HeartRate);
    static readonly int DiastolicColumn = Config.BeginColumn(SeriesChannels.IndexOf(SeriesChannels.DiastolicBloodPressure));

    [Fact]
    public void Fit_uses_sample_std_over_all_time_steps_and_floors_constant_columns()
    {
        var episode = SeriesEpisode.FromObservations([new(0.5, HeartRate, "60"), new(1.5, HeartRate, "70"), new(2.5, HeartRate, "80"), new(3.5, HeartRate, "90")]);
        var normalizer = Normalizer.Fit(Discretizer, [(episode, 4.0), (episode, 4.0)], new ComputeSettings(1));
        Assert.Equal(8, normalizer.SampleCount);
        Assert.Equal(75.0, normalizer.Means[HeartRateColumn]);
        Assert.Equal(Math.Sqrt(1000.0 / 7.0), normalizer.Stds[HeartRateColumn], 12);
        Assert.Equal(59.0, normalizer.Means[DiastolicColumn]); // the normal value, imputed everywhere
        Assert.Equal(Normalizer.StdFloor, normalizer.Stds[DiastolicColumn]);
        Assert.Equal(Config.Header.StandardizedColumns, normalizer.StandardizedColumns);
    }

    [Fact]
    public void Fit_on_golden_episodes_matches_statistics_of_the_reference_matrices()
    {
        var training = GoldenFiles.Episodes
            .Select(name => (EpisodeCsvReader.Read(GoldenFiles.EpisodePath(name)), GoldenFiles.EndHours(name, ClinicalTask.Phenotyping)))
            .ToArray();
        var fitted = Normalizer.Fit(Discretizer, training, new ComputeSettings(2));

        var rows = GoldenFiles.Episodes.SelectMany(name => GoldenFiles.Matrix(name, ClinicalTask.Phenotyping, normalized: false).Rows).ToArray();
        Assert.Equal(rows.Length, fitted.SampleCount);
        foreach (int c in Config.Header.StandardizedColumns)
        {
            double mean = rows.Average(r => r[c]);
            double std = Math.Sqrt(rows.Sum(r => (r[c] - mean) * (r[c] - mean)) / (rows.Length - 1));
            Assert.Equal(mean, fitted.Means[c], 1e-9 * Math.Abs(mean));
            Assert.Equal(Math.Max(std, Normalizer.StdFloor), fitted.Stds[c], 1e-6 * Math.Max(std, 1e-3));
        }
    }

    [Fact]
    public void Fit_does_not_depend_on_the_thread_count()
    {
        var random = new Random(5);
        var training = Enumerable.Range(0, 300).Select(_ =>
        {
            var obs = Enumerable.Range(0, 30).Select(i => new SeriesObservation(i * 1.7, HeartRate, (60 + random.NextDouble() * 50).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            return (SeriesEpisode.FromObservations(obs), 40.0 + random.Next(20));
        }).ToArray();
        var one = Normalizer.Fit(Discretizer, training, new ComputeSettings(1));
        var four = Normalizer.Fit(Discretizer, training, new ComputeSettings(4));
        Assert.Equal(one.Means.ToArray(), four.Means.ToArray());
        Assert.Equal(one.Stds.ToArray(), four.Stds.ToArray());
    }

    [Fact]
    public void Save_and_load_round_trip_exactly_without_leaving_temporary_files()
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("normalizer.json");
        Normalizer.Reference.Save(path);
        var loaded = Normalizer.Load(path);
        Assert.Equal(Normalizer.Reference.Means.ToArray(), loaded.Means.ToArray());
        Assert.Equal(Normalizer.Reference.Stds.ToArray(), loaded.Stds.ToArray());
        Assert.Equal(Normalizer.Reference.StandardizedColumns, loaded.StandardizedColumns);
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Theory]
    [InlineData("not json", "is not a normalizer file")]
    [InlineData("{\"format\":\"other\"}", "is not a normalizer file")]
    [InlineData("{\"format\":\"clinfuse-normalizer/1\",\"standardized_columns\":[1],\"means\":[0,1],\"stds\":[1,0]}", "column 1")]
    [InlineData("{\"format\":\"clinfuse-normalizer/1\",\"standardized_columns\":[5],\"means\":[0,1],\"stds\":[1,1]}", "column 5")]
    public void Invalid_files_are_rejected_naming_the_file(string content, string expected)
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("bad.json");
        File.WriteAllText(path, content);
        var error = Assert.Throws<ClinFuseException>(() => Normalizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error() =>
        Assert.Contains("/nonexistent/n.json", Assert.Throws<ClinFuseException>(() => Normalizer.Load("/nonexistent/n.json")).Message);

    [Fact]
    public void Apply_changes_only_standardized_columns()
    {
        var matrix = Discretizer.Transform(SeriesEpisode.FromObservations([new(1, HeartRate, "100")]), 3);
        var normalized = (float[])matrix.Values.Clone();
        Normalizer.Reference.Apply(normalized.AsSpan());
        for (int i = 0; i < normalized.Length; i++)
        {
            int c = i % 76;
            if (Config.Header.StandardizedColumns.Contains(c))
                Assert.Equal((float)((matrix.Values[i] - Normalizer.Reference.Means[c]) / Normalizer.Reference.Stds[c]), normalized[i], 1e-5f);
            else
                Assert.Equal(matrix.Values[i], normalized[i]);
        }
    }

    static SeriesEpisode Stay(long id, params string[] heartRates) =>
        SeriesEpisode.FromObservations(heartRates.Select((v, i) => new SeriesObservation(i + 0.5, HeartRate, v)), source: $"stay {id}");

    [Fact]
    public void A_training_value_too_large_to_fit_names_the_variable_the_stay_and_the_value()
    {
        var training = new[] { (Stay(11, "80", "90"), 4.0), (Stay(12, "85", "1e200", "3e199"), 4.0), (Stay(13, "70", "2e180"), 4.0) };
        foreach (int threads in new[] { 1, 3 })
        {
            var e = Assert.Throws<ClinFuseException>(() => Normalizer.Fit(Discretizer, training, new ComputeSettings(threads)));
            Assert.Equal("Cannot fit the normalizer: the values of 'Heart Rate' in the training split are too large to standardise " +
                "(their sum of squares overflows); the largest, 1E+200, is in stay 12 at 1.5 h.", e.Message);
            Assert.Contains("correct or delete it", e.Hint);
        }
    }

    [Fact]
    public void A_training_split_of_one_time_step_is_refused_with_its_size()
    {
        var e = Assert.Throws<ClinFuseException>(() => Normalizer.Fit(Discretizer, [(Stay(5, "80"), 0.5)], new ComputeSettings(1)));
        Assert.Equal("Cannot fit the normalizer: the 1 training stay(s) hold 1 time step(s), at least 2 are needed.", e.Message);
    }

    [Fact]
    public void A_value_beyond_float32_after_standardisation_names_the_variable_the_stay_and_the_hour()
    {
        var normalizer = Normalizer.Fit(Discretizer, [(Stay(1, "60", "70", "80", "90"), 4.0)], new ComputeSettings(1));
        var e = Assert.Throws<ClinFuseException>(() => Discretizer.Transform(Stay(44, "80", "1e50"), 4.0, normalizer));
        Assert.StartsWith("stay 44: the value 1E+50 of 'Heart Rate' in hour 2 is too large for the 32-bit features after standardisation " +
            "by the normalizer fitted on the training split (mean 75, std 12.9099).", e.Message);
        // Without a normalizer the float32 range itself is the bound: 1e39 does not fit, 1e38 does.
        Assert.StartsWith("stay 45: the value 1E+39 of 'Heart Rate' in hour 1 is too large for the 32-bit features.",
            Assert.Throws<ClinFuseException>(() => Discretizer.Transform(Stay(45, "1e39"), 4.0)).Message);
        Assert.True(float.IsFinite(Discretizer.Transform(Stay(46, "1e38"), 4.0).Values[HeartRateColumn]));
    }

    [Fact]
    public void Damaged_statistics_in_a_file_name_the_file_and_the_variable()
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("normalizer.json");
        var stds = Normalizer.Reference.Stds.ToArray();
        stds[HeartRateColumn] = 0;
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new
        {
            format = "clinfuse-normalizer/1", standardized_columns = Normalizer.Reference.StandardizedColumns,
            means = Normalizer.Reference.Means.ToArray(), stds,
        }));
        var e = Assert.Throws<ClinFuseException>(() => Normalizer.Load(path));
        Assert.StartsWith($"{path}: Normalizer column {HeartRateColumn} ('Heart Rate'): mean ", e.Message);
    }

    [Fact]
    public void A_normalizer_for_another_width_is_refused_by_the_discretizer()
    {
        var narrow = new Normalizer([0.0, 0.0], [1.0, 1.0], [1]);
        Assert.Throws<ClinFuseException>(() => Discretizer.Transform(SeriesEpisode.FromObservations([]), 48, narrow));
        var oneHot = new Normalizer(new double[76], Enumerable.Repeat(1.0, 76).ToArray(), [0]);
        Assert.Throws<ClinFuseException>(() => Discretizer.Transform(SeriesEpisode.FromObservations([]), 48, oneHot));
    }
}
