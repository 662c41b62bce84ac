using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClinFuse.Core;

namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// Per-column standardisation of discretized matrices, as the reference normalizer: for each
/// standardised column c, <c>x ← (x − mean[c]) / std[c]</c> in float64; every other column (one-hots,
/// masks) is left as is. <see cref="Reference"/> holds the statistics MedFuse loads for both tasks
/// (mimic3-benchmarks' MIMIC-III phenotyping file); <see cref="Fit"/> computes them on a training split.
/// </summary>
public sealed class Normalizer
{
    /// <summary>The reference floors standard deviations at this value.</summary>
    public const double StdFloor = 1e-7;

    const string FormatName = "clinfuse-normalizer/1";
    const string ReferenceResource = "ClinFuse.Features.Resources.reference-normalizer-ph_ts1.0.json";

    readonly double[] means;
    readonly double[] stds;
    readonly bool[] isStandardized;
    readonly int[] standardizedColumns;

    /// <summary>Creates a normalizer from per-column statistics (arrays of the matrix width) and the columns to standardise.</summary>
    public Normalizer(IReadOnlyList<double> means, IReadOnlyList<double> stds, IReadOnlyList<int> standardizedColumns, long sampleCount = 0,
        string source = "the normalizer")
    {
        Source = source;
        if (means.Count != stds.Count || means.Count == 0)
            throw new ClinFuseException($"Normalizer statistics need one mean and one std per column; got {means.Count} means and {stds.Count} stds.");
        this.means = [.. means];
        this.stds = [.. stds];
        isStandardized = new bool[means.Count];
        foreach (int c in standardizedColumns)
        {
            if ((uint)c >= (uint)means.Count)
                throw new ClinFuseException($"Normalizer column {c} is outside 0..{means.Count - 1}.");
            if (!double.IsFinite(this.means[c]) || !double.IsFinite(this.stds[c]) || !(this.stds[c] > 0))
                throw new ClinFuseException($"Normalizer {ColumnName(c, means.Count)}: mean {this.means[c]} and std {this.stds[c]} must be finite with std > 0.",
                    "The statistics are damaged: run `clinfuse prepare` again to fit them anew.");
            isStandardized[c] = true;
        }
        this.standardizedColumns = [.. standardizedColumns.Distinct().Order()];
        SampleCount = sampleCount;
    }

    /// <summary>The statistics the reference uses (MIMIC-III phenotyping file), standardising columns 2, 3 and 49–58.</summary>
    public static Normalizer Reference { get; } = LoadReference();

    /// <summary>Matrix width the statistics are for.</summary>
    public int ColumnCount => means.Length;

    /// <summary>Columns that are standardised, ascending.</summary>
    public IReadOnlyList<int> StandardizedColumns => standardizedColumns;

    internal ReadOnlySpan<int> StandardizedColumnSpan => standardizedColumns;

    /// <summary>Per-column means (all columns; only standardised ones are used).</summary>
    public ReadOnlySpan<double> Means => means;

    /// <summary>Per-column standard deviations.</summary>
    public ReadOnlySpan<double> Stds => stds;

    /// <summary>Number of time steps the statistics were computed from (0 when unknown).</summary>
    public long SampleCount { get; }

    /// <summary>Where the statistics come from (a file, the training split, the reference), for error messages.</summary>
    public string Source { get; }

    /// <summary>"column 50 ('Heart Rate')" for matrices of the reference width, else "column 50".</summary>
    internal static string ColumnName(int column, int width) =>
        width == DiscretizerConfig.Reference.ColumnCount ? $"column {column} ('{DiscretizerConfig.Reference.Header.Names[column]}')" : $"column {column}";

    /// <summary>Standardises one value of <paramref name="column"/> (identity for columns that are not standardised).</summary>
    public double Standardize(int column, double value) => isStandardized[column] ? (value - means[column]) / stds[column] : value;

    /// <summary>Standardises a row-major matrix of <see cref="ColumnCount"/>-wide rows in place.</summary>
    public void Apply<T>(Span<T> rows) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = ColumnCount;
        if (rows.Length % width != 0)
            throw new ArgumentException($"Matrix length {rows.Length} is not a multiple of {width} columns.", nameof(rows));
        for (int start = 0; start < rows.Length; start += width)
        {
            var row = rows.Slice(start, width);
            foreach (int c in standardizedColumns)
                row[c] = T.CreateTruncating((double.CreateTruncating(row[c]) - means[c]) / stds[c]);
        }
    }

    /// <summary>
    /// Fits statistics on the discretized training episodes: per column, over all time steps of all
    /// episodes, mean = Σx/N and std = sqrt((Σx² − 2·Σx·mean + N·mean²)/(N − 1)) floored at 1e-7 — the
    /// reference's formula. Episodes are processed in fixed chunks merged in order, so the result does
    /// not depend on the thread count. Values too large for these sums (|x| above about 1e154) stop the
    /// fit with the variable, the stay (<see cref="SeriesEpisode.Source"/>) and the value.
    /// </summary>
    public static Normalizer Fit(Discretizer discretizer, IReadOnlyList<(SeriesEpisode Episode, double EndHours)> training, ComputeSettings compute)
    {
        if (training.Count == 0)
            throw new ClinFuseException("Cannot fit a normalizer on an empty training split.", "Check the split: it has no training episodes.");
        const int chunkSize = 64;
        int chunkCount = (training.Count + chunkSize - 1) / chunkSize;
        var partial = new NormalizerAccumulator[chunkCount];
        Parallel.For(0, chunkCount, compute.ParallelOptions(), chunk =>
        {
            var accumulator = new NormalizerAccumulator(discretizer.ColumnCount);
            double[] buffer = [];
            int end = Math.Min(training.Count, (chunk + 1) * chunkSize);
            for (int i = chunk * chunkSize; i < end; i++)
            {
                var (episode, endHours) = training[i];
                int needed = discretizer.StepCount(endHours) * discretizer.ColumnCount;
                if (buffer.Length < needed) buffer = new double[needed];
                int steps = discretizer.Transform(episode, endHours, buffer.AsSpan());
                accumulator.Add(buffer.AsSpan(0, steps * discretizer.ColumnCount));
            }
            partial[chunk] = accumulator;
        });
        var total = new NormalizerAccumulator(discretizer.ColumnCount);
        foreach (var p in partial) total.Merge(p);
        if (total.Count < 2)
            throw new ClinFuseException($"Cannot fit the normalizer: the {training.Count} training stay(s) hold {total.Count} time step(s), at least 2 are needed.",
                "The training split is too small: extract a larger cohort, or prepare with --normalizer reference.");
        var standardized = discretizer.Config.Header.StandardizedColumns;
        if (total.FirstUnrepresentableColumn(standardized) is int column)
            throw TooLarge(discretizer, training, column);
        return total.ToNormalizer(standardized, "the normalizer fitted on the training split");
    }

    /// <summary>The error for a column whose sums overflow: its variable and the training stay holding its largest value.</summary>
    static ClinFuseException TooLarge(Discretizer discretizer, IReadOnlyList<(SeriesEpisode Episode, double EndHours)> training, int column)
    {
        var config = discretizer.Config;
        int channel = Enumerable.Range(0, config.ChannelCount).FirstOrDefault(ch => !config.IsCategorical(ch) && config.BeginColumn(ch) == column, -1);
        string where = "";
        if (channel >= 0)
        {
            (double Value, SeriesEpisode? Episode, double Hours) largest = (0, null, 0);
            foreach (var (episode, endHours) in training)
                for (int i = 0; i < episode.EventCount; i++)
                    if (episode.Channels[i] == channel && episode.Hours[i] <= endHours + SeriesEpisode.TimeEpsilon && Math.Abs(episode.Codes[i]) > Math.Abs(largest.Value))
                        largest = (episode.Codes[i], episode, episode.Hours[i]);
            if (largest.Episode is not null)
                where = $"; the largest, {largest.Value.ToString("R", CultureInfo.InvariantCulture)}, is in {largest.Episode.Source} at {largest.Hours.ToString("0.##", CultureInfo.InvariantCulture)} h";
        }
        return new ClinFuseException(
            $"Cannot fit the normalizer: the values of '{config.Header.Names[column]}' in the training split are too large to standardise (their sum of squares overflows){where}.",
            "Such a value is no measurement: correct or delete it in the MIMIC-IV table it came from, then run `clinfuse extract` and `clinfuse prepare` again.");
    }

    /// <summary>Writes the statistics as JSON through <see cref="AtomicFile"/> (a temporary file first, then renamed into place).</summary>
    public void Save(string path)
    {
        var file = new NormalizerFile(FormatName, null, standardizedColumns, SampleCount, means, stds);
        AtomicFile.Write(path, temp =>
        {
            using var stream = File.Create(temp);
            JsonSerializer.Serialize(stream, file, NormalizerJson.Default.NormalizerFile);
        });
    }

    /// <summary>Reads statistics written by <see cref="Save"/>.</summary>
    public static Normalizer Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Parse(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinFuseException($"Cannot read normalizer {path}: {e.Message}", "Check the path given for the normalizer.", inner: e);
        }
    }

    static Normalizer LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"Embedded resource {ReferenceResource} is missing from the build.");
        return Parse(stream, "the reference normalizer (MedFuse's statistics)");
    }

    static Normalizer Parse(Stream stream, string source)
    {
        NormalizerFile? file;
        try
        {
            file = JsonSerializer.Deserialize(stream, NormalizerJson.Default.NormalizerFile);
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{source} is not a normalizer file: {e.Message}", inner: e);
        }
        if (file is null || file.Format != FormatName || file.Means is null || file.Stds is null || file.StandardizedColumns is null)
            throw new ClinFuseException($"{source} is not a normalizer file (expected format '{FormatName}' with means, stds and standardized_columns).");
        try
        {
            return new Normalizer(file.Means, file.Stds, file.StandardizedColumns, file.SampleCount ?? 0, source);
        }
        catch (ClinFuseException e)
        {
            throw new ClinFuseException($"{source}: {e.Message}", e.Hint, inner: e);
        }
    }
}

/// <summary>Running per-column sums for <see cref="Normalizer.Fit"/>; usable directly to fit from streamed matrices.</summary>
internal sealed class NormalizerAccumulator(int columnCount)
{
    readonly double[] sum = new double[columnCount];
    readonly double[] sumOfSquares = new double[columnCount];

    /// <summary>Time steps added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the rows of one row-major matrix.</summary>
    public void Add(ReadOnlySpan<double> rows)
    {
        int width = sum.Length;
        if (rows.Length % width != 0)
            throw new ArgumentException($"Matrix length {rows.Length} is not a multiple of {width} columns.", nameof(rows));
        for (int start = 0; start < rows.Length; start += width)
        {
            var row = rows.Slice(start, width);
            for (int c = 0; c < width; c++)
            {
                sum[c] += row[c];
                sumOfSquares[c] += row[c] * row[c];
            }
        }
        Count += rows.Length / width;
    }

    /// <summary>Adds another accumulator's sums.</summary>
    public void Merge(NormalizerAccumulator other)
    {
        for (int c = 0; c < sum.Length; c++)
        {
            sum[c] += other.sum[c];
            sumOfSquares[c] += other.sumOfSquares[c];
        }
        Count += other.Count;
    }

    /// <summary>The statistics (reference formula; a variance that cancels below zero counts as zero).</summary>
    public Normalizer ToNormalizer(IReadOnlyList<int> standardizedColumns, string source = "the normalizer")
    {
        if (Count < 2)
            throw new ClinFuseException($"A normalizer needs at least 2 time steps, got {Count}.", "The training split is too small.");
        var (means, stds) = Statistics();
        return new Normalizer(means, stds, standardizedColumns, Count, source);
    }

    /// <summary>The first of <paramref name="standardizedColumns"/> whose mean or std is not finite (values too large for the sums), or null.</summary>
    internal int? FirstUnrepresentableColumn(IReadOnlyList<int> standardizedColumns)
    {
        var (means, stds) = Statistics();
        foreach (int c in standardizedColumns)
            if (!double.IsFinite(means[c]) || !double.IsFinite(stds[c])) return c;
        return null;
    }

    (double[] Means, double[] Stds) Statistics()
    {
        var means = new double[sum.Length];
        var stds = new double[sum.Length];
        double n = Count;
        for (int c = 0; c < sum.Length; c++)
        {
            double mean = sum[c] / n;
            double variance = (sumOfSquares[c] - 2.0 * sum[c] * mean + n * mean * mean) / (n - 1);
            means[c] = mean;
            stds[c] = Math.Max(Math.Sqrt(Math.Max(variance, 0)), Normalizer.StdFloor);
        }
        return (means, stds);
    }
}

/// <summary>On-disk form of a <see cref="Normalizer"/>.</summary>
internal sealed record NormalizerFile(
    [property: JsonPropertyName("format")] string? Format,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("standardized_columns")] int[]? StandardizedColumns,
    [property: JsonPropertyName("sample_count")] long? SampleCount,
    [property: JsonPropertyName("means")] double[]? Means,
    [property: JsonPropertyName("stds")] double[]? Stds);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NormalizerFile))]
internal sealed partial class NormalizerJson : JsonSerializerContext;
