using ClinFuse.Core.Tasks;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>Exact parity with the reference discretizer and normalizer on the golden episodes.</summary>
public sealed class DiscretizerGoldenTests
{
    static readonly Discretizer Discretizer = new();

    [Fact]
    public void Header_matches_reference_names_string_and_standardized_columns()
    {
        var golden = GoldenFiles.Json("header.json");
        var header = DiscretizerConfig.Reference.Header;
        Assert.Equal(golden.GetProperty("header").EnumerateArray().Select(e => e.GetString()!), header.Names);
        Assert.Equal(76, header.Names.Count);
        Assert.Equal(golden.GetProperty("standardized_columns").EnumerateArray().Select(e => e.GetInt32()), header.StandardizedColumns);
        var headerString = golden.GetProperty("header_string_as_returned").GetString();
        Assert.Equal(headerString, header.ToString());
    }

    [Theory]
    [MemberData(nameof(GoldenFiles.EpisodeTaskPairs), MemberType = typeof(GoldenFiles))]
    public void Raw_matrix_equals_reference_exactly_in_float64(string name, ClinicalTask task)
    {
        var (header, expected) = GoldenFiles.Matrix(name, task, normalized: false);
        Assert.Equal(DiscretizerConfig.Reference.Header.Names, header);
        var actual = Discretize<double>(name, task, normalizer: null);
        AssertRowsEqual(expected, actual, relativeTolerance: 0);
    }

    [Theory]
    [MemberData(nameof(GoldenFiles.EpisodeTaskPairs), MemberType = typeof(GoldenFiles))]
    public void Normalized_matrix_equals_reference_exactly_in_float64_fused_and_separate(string name, ClinicalTask task)
    {
        var (_, expected) = GoldenFiles.Matrix(name, task, normalized: true);
        AssertRowsEqual(expected, Discretize<double>(name, task, Normalizer.Reference), relativeTolerance: 0);

        var separate = Discretize<double>(name, task, normalizer: null);
        Normalizer.Reference.Apply(separate.AsSpan());
        AssertRowsEqual(expected, separate, relativeTolerance: 0);
    }

    [Theory]
    [MemberData(nameof(GoldenFiles.EpisodeTaskPairs), MemberType = typeof(GoldenFiles))]
    public void Float32_matrices_are_within_golden_tolerance(string name, ClinicalTask task)
    {
        var episode = EpisodeCsvReader.Read(GoldenFiles.EpisodePath(name));
        double end = GoldenFiles.EndHours(name, task);
        var raw = Discretizer.Transform(episode, end);
        var normalized = Discretizer.Transform(episode, end, Normalizer.Reference);
        AssertRowsEqual(GoldenFiles.Matrix(name, task, normalized: false).Rows, [.. raw.Values.Select(v => (double)v)], 1e-6);
        AssertRowsEqual(GoldenFiles.Matrix(name, task, normalized: true).Rows, [.. normalized.Values.Select(v => (double)v)], 1e-6);
    }

    [Fact]
    public void Reference_normalizer_equals_golden_parameters()
    {
        var golden = GoldenFiles.Json("normalizer_params.json");
        Assert.Equal(golden.GetProperty("means").EnumerateArray().Select(e => e.GetDouble()), Normalizer.Reference.Means.ToArray());
        Assert.Equal(golden.GetProperty("stds").EnumerateArray().Select(e => e.GetDouble()), Normalizer.Reference.Stds.ToArray());
        Assert.Equal(golden.GetProperty("standardized_columns").EnumerateArray().Select(e => e.GetInt32()), Normalizer.Reference.StandardizedColumns);
    }

    static T[] Discretize<T>(string name, ClinicalTask task, Normalizer? normalizer)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var episode = EpisodeCsvReader.Read(GoldenFiles.EpisodePath(name));
        double end = GoldenFiles.EndHours(name, task);
        var values = new T[Discretizer.StepCount(end) * Discretizer.ColumnCount];
        int steps = Discretizer.Transform(episode, end, values.AsSpan(), normalizer);
        Assert.Equal(values.Length, steps * 76);
        return values;
    }

    /// <summary>Exact (tolerance 0) or relative comparison; absolute 1e-9 below |x| = 1e-3 as the golden README allows.</summary>
    static void AssertRowsEqual(double[][] expected, double[] actual, double relativeTolerance)
    {
        Assert.Equal(expected.Length * 76, actual.Length);
        for (int r = 0; r < expected.Length; r++)
            for (int c = 0; c < 76; c++)
            {
                double e = expected[r][c], a = actual[r * 76 + c];
                bool ok = relativeTolerance == 0
                    ? e.Equals(a)
                    : Math.Abs(e - a) <= (Math.Abs(e) < 1e-3 ? 1e-9 : relativeTolerance * Math.Abs(e));
                if (!ok) Assert.Fail($"row {r}, column {c} ({DiscretizerConfig.Reference.Header.Names[c]}): expected {e:R}, got {a:R}");
            }
    }
}
