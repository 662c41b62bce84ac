using System.Buffers;
using System.Globalization;
using System.Numerics;
using ClinFuse.Core;

namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// Turns an episode into the reference's hourly feature matrix: <c>[steps, 76]</c> row-major, a
/// value block (one-hot categories and continuous values, in configuration order) followed by one
/// mask column per channel. Reproduces MedFuse's <c>Discretizer(timestep=1.0, store_masks=True,
/// impute_strategy='previous', start_time='zero')</c> bit for bit in float64.
/// </summary>
/// <remarks>
/// Bins: an event at time t goes to bin <c>trunc(t / timestep - 1e-6)</c> (so t = k belongs to bin
/// k-1 and times in (-1, 0] to bin 0); events after <c>end + 1e-6</c> are skipped; the matrix has
/// <c>trunc(end / timestep + 1 - 1e-6)</c> rows. Within a bin the last event of a channel wins.
/// Unobserved cells repeat the channel's last observed value (its normal value before the first
/// observation) with mask 0. Deviation from the reference, which fails an assertion instead: events
/// whose bin falls before the first or after the last row (t &lt;= -1 h, or floating-point edge cases
/// at the end boundary) are skipped like events after the end. Instances are immutable and thread-safe.
/// </remarks>
public sealed class Discretizer
{
    /// <summary>Largest episode end accepted, in hours (ten years), so a corrupt length cannot exhaust memory.</summary>
    public const double MaxEndHours = 87_600;

    readonly int channelCount;
    readonly bool[] isCategorical;
    readonly int[] beginColumn;
    readonly bool[] isContinuousColumn;

    /// <summary>Creates a discretizer for <paramref name="config"/> (default: the reference configuration) and a bin width in hours.</summary>
    public Discretizer(DiscretizerConfig? config = null, double timestep = 1.0)
    {
        if (!(timestep > 0) || !double.IsFinite(timestep))
            throw new ClinFuseException($"The time step must be a positive number of hours, got {timestep}.");
        Config = config ?? DiscretizerConfig.Reference;
        Timestep = timestep;
        channelCount = Config.ChannelCount;
        isCategorical = new bool[channelCount];
        beginColumn = new int[channelCount];
        for (int ch = 0; ch < channelCount; ch++)
        {
            isCategorical[ch] = Config.IsCategorical(ch);
            beginColumn[ch] = Config.BeginColumn(ch);
        }
        isContinuousColumn = new bool[Config.ColumnCount];
        for (int ch = 0; ch < channelCount; ch++)
            if (!isCategorical[ch]) isContinuousColumn[beginColumn[ch]] = true;
    }

    /// <summary>The channel definition.</summary>
    public DiscretizerConfig Config { get; }

    /// <summary>Bin width in hours.</summary>
    public double Timestep { get; }

    /// <summary>Columns per row (76 for the reference configuration).</summary>
    public int ColumnCount => Config.ColumnCount;

    /// <summary>Rows produced for an episode cut at <paramref name="endHours"/>: <c>trunc(end / timestep + 1 - 1e-6)</c>.</summary>
    public int StepCount(double endHours)
    {
        if (!double.IsFinite(endHours) || endHours < 0 || endHours > MaxEndHours)
            throw new ClinFuseException($"Episode end {endHours} h is outside 0..{MaxEndHours} h.", "Check the period length in the listfile.");
        return (int)(endHours / Timestep + 1.0 - SeriesEpisode.TimeEpsilon);
    }

    /// <summary>
    /// Discretizes <paramref name="episode"/> up to <paramref name="endHours"/> into a new float32 matrix;
    /// with a <paramref name="normalizer"/>, standardised columns are normalised in float64 before rounding.
    /// </summary>
    public SeriesMatrix Transform(SeriesEpisode episode, double endHours, Normalizer? normalizer = null)
    {
        var values = new float[StepCount(endHours) * ColumnCount];
        int steps = Transform(episode, endHours, values.AsSpan(), normalizer);
        return new SeriesMatrix(values, steps, ColumnCount);
    }

    /// <summary>
    /// Discretizes into <paramref name="destination"/> (at least <see cref="StepCount"/> × <see cref="ColumnCount"/>
    /// elements; the rest is left untouched) and returns the number of rows written. All arithmetic is
    /// float64; with <typeparamref name="T"/> = double the result equals the reference exactly.
    /// </summary>
    public int Transform<T>(SeriesEpisode episode, double endHours, Span<T> destination, Normalizer? normalizer = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!ReferenceEquals(episode.Config, Config))
            throw new ArgumentException("The episode was encoded with another discretizer configuration.", nameof(episode));
        if (normalizer is not null) CheckNormalizer(normalizer);
        int steps = StepCount(endHours);
        int columns = ColumnCount;
        if (destination.Length < steps * columns)
            throw new ArgumentException($"Destination holds {destination.Length} values; {steps} rows × {columns} columns are needed.", nameof(destination));
        var matrix = destination[..(steps * columns)];
        matrix.Clear();

        int maskStart = Config.ValueColumnCount;
        double[] rented = ArrayPool<double>.Shared.Rent(Math.Max(1, steps * channelCount));
        try
        {
            // Pass 1: last observed code per (bin, channel) and the masks. Times may dip by up to 1e-6
            // between rows, so bins are not guaranteed monotone: store per bin rather than stream.
            var observed = rented.AsSpan(0, steps * channelCount);
            var hours = episode.Hours;
            var channels = episode.Channels;
            var codes = episode.Codes;
            double lastTime = endHours + SeriesEpisode.TimeEpsilon;
            for (int i = 0; i < hours.Length; i++)
            {
                double t = hours[i];
                if (t > lastTime) continue;
                int bin = (int)(t / Timestep - SeriesEpisode.TimeEpsilon);
                if ((uint)bin >= (uint)steps) continue;
                int ch = channels[i];
                matrix[bin * columns + maskStart + ch] = T.One;
                observed[bin * channelCount + ch] = codes[i];
            }

            // Pass 2: write every bin, carrying the last observed cell forward ("previous" imputation
            // re-encodes the previous string, which gives the same cell). A cell is encoded (and
            // normalised) only when its channel is observed, then copied into the following rows.
            Span<int> cellColumn = stackalloc int[channelCount];
            Span<T> cellValue = stackalloc T[channelCount];
            for (int ch = 0; ch < channelCount; ch++) cellValue[ch] = EncodeCell<T>(ch, Config.NormalCode(ch), normalizer, out cellColumn[ch], episode, -1);
            for (int bin = 0; bin < steps; bin++)
            {
                var row = matrix.Slice(bin * columns, columns);
                var binObserved = observed.Slice(bin * channelCount, channelCount);
                for (int ch = 0; ch < channelCount; ch++)
                {
                    if (row[maskStart + ch] != T.Zero) cellValue[ch] = EncodeCell<T>(ch, binObserved[ch], normalizer, out cellColumn[ch], episode, bin);
                    row[cellColumn[ch]] = cellValue[ch];
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
        return steps;
    }

    /// <summary>
    /// The output column and value of a channel's code: its one-hot column and 1, or its column and
    /// (normalised) value. A value that does not fit <typeparamref name="T"/> (a float32 beyond ±3.4e38)
    /// stops with the episode, the variable and the hour (<paramref name="bin"/> −1: the normal value).
    /// </summary>
    T EncodeCell<T>(int channel, double code, Normalizer? normalizer, out int column, SeriesEpisode episode, int bin)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (isCategorical[channel])
        {
            column = beginColumn[channel] + (int)code;
            return T.One;
        }
        column = beginColumn[channel];
        var value = T.CreateTruncating(normalizer is null ? code : normalizer.Standardize(column, code));
        return T.IsFinite(value) ? value : throw OutOfRange(channel, code, normalizer, episode, bin);
    }

    ClinFuseException OutOfRange(int channel, double code, Normalizer? normalizer, SeriesEpisode episode, int bin)
    {
        string value = code.ToString("R", CultureInfo.InvariantCulture);
        string what = bin < 0 ? $"the normal value {value} of '{Config.Channels[channel]}'" : $"the value {value} of '{Config.Channels[channel]}' in hour {bin + 1}";
        int column = beginColumn[channel];
        string scale = normalizer is null
            ? "is too large for the 32-bit features"
            : $"is too large for the 32-bit features after standardisation by {normalizer.Source} (mean {normalizer.Means[column]:G6}, std {normalizer.Stds[column]:G6})";
        return new ClinFuseException($"{episode.Source}: {what} {scale}.", bin < 0
            ? $"The statistics of {normalizer?.Source} are damaged: run `clinfuse prepare` again to fit them anew."
            : "Such a value is no measurement: correct or delete it where it came from (the MIMIC-IV table, then `clinfuse extract` and `clinfuse prepare` again; or the episode file).");
    }

    void CheckNormalizer(Normalizer normalizer)
    {
        if (normalizer.ColumnCount != ColumnCount)
            throw new ClinFuseException($"{normalizer.Source} has {normalizer.ColumnCount} columns, the discretizer produces {ColumnCount}.",
                "Use a normalizer fitted with the same discretizer configuration.");
        foreach (int column in normalizer.StandardizedColumnSpan)
            if (!isContinuousColumn[column])
                throw new ClinFuseException($"{normalizer.Source} standardises column {column} ({Config.Header.Names[column]}), which is not a continuous value column.",
                    "Only continuous channels can be standardised.");
    }
}
