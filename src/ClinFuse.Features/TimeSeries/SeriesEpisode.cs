using ClinFuse.Core;

namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// The observations of one ICU stay, already encoded for the discretizer: per event the time in
/// hours, the channel and a code (category position for categorical channels, the float64 value for
/// continuous ones). Events are ordered by time (non-decreasing up to the reference's 1e-6 h
/// tolerance) and, at equal times, in input order, which decides "last value wins" within a bin.
/// Immutable; build it with <see cref="EpisodeCsvReader"/> or <see cref="FromObservations"/>.
/// </summary>
public sealed class SeriesEpisode
{
    /// <summary>Tolerance of the reference's non-decreasing-time check and bin boundaries, in hours.</summary>
    public const double TimeEpsilon = 1e-6;

    readonly double[] hours;
    readonly byte[] channels;
    readonly double[] codes;
    readonly int[] timeStepStarts;

    internal SeriesEpisode(string source, DiscretizerConfig config, double[] hours, byte[] channels, double[] codes, int ignoredValueCount)
    {
        Source = source;
        Config = config;
        this.hours = hours;
        this.channels = channels;
        this.codes = codes;
        IgnoredValueCount = ignoredValueCount;
        timeStepStarts = FindTimeSteps(hours);
    }

    SeriesEpisode(SeriesEpisode original, double[] codes)
    {
        Source = original.Source;
        Config = original.Config;
        hours = original.hours;
        channels = original.channels;
        timeStepStarts = original.timeStepStarts;
        IgnoredValueCount = original.IgnoredValueCount;
        this.codes = codes;
    }

    /// <summary>Where the episode came from (file path or caller-given name), used in error messages.</summary>
    public string Source { get; }

    /// <summary>The channel definition the codes refer to.</summary>
    public DiscretizerConfig Config { get; }

    /// <summary>Number of observed (non-empty) cells.</summary>
    public int EventCount => hours.Length;

    /// <summary>Cells dropped under <see cref="InvalidValuePolicy.TreatAsMissing"/>.</summary>
    public int IgnoredValueCount { get; }

    /// <summary>Event times in hours since admission.</summary>
    public ReadOnlySpan<double> Hours => hours;

    /// <summary>Event channel indices.</summary>
    public ReadOnlySpan<byte> Channels => channels;

    /// <summary>Event codes: category position (categorical channels) or value (continuous channels).</summary>
    public ReadOnlySpan<double> Codes => codes;

    /// <summary>Number of distinct observation times (the rows of the episode's time series).</summary>
    public int TimeStepCount => timeStepStarts.Length - 1;

    /// <summary>Events of time step <paramref name="step"/> are <c>[start, end)</c>.</summary>
    public (int Start, int End) TimeStepRange(int step) => (timeStepStarts[step], timeStepStarts[step + 1]);

    /// <summary>The same events with other codes (used by noise, which never changes times or channels).</summary>
    internal SeriesEpisode WithCodes(double[] newCodes) => new(this, newCodes);

    /// <summary>
    /// Builds an episode from in-memory observations. Values are parsed exactly like episode CSV cells;
    /// observations are ordered by time with a stable sort, so equal times keep their input order.
    /// </summary>
    public static SeriesEpisode FromObservations(IEnumerable<SeriesObservation> observations, DiscretizerConfig? config = null,
        InvalidValuePolicy policy = InvalidValuePolicy.Reject, string source = "in-memory episode")
    {
        config ??= DiscretizerConfig.Reference;
        var ordered = observations.OrderBy(o => o.Hours).ToArray();
        var builder = new Builder(config, policy, source, ordered.Length);
        foreach (var o in ordered)
        {
            if (!double.IsFinite(o.Hours))
                throw new ClinFuseException($"{source}: observation time {o.Hours} is not a finite number of hours.");
            if ((uint)o.Channel >= (uint)config.ChannelCount)
                throw new ClinFuseException($"{source}: channel index {o.Channel} is outside 0..{config.ChannelCount - 1}.");
            if (string.IsNullOrEmpty(o.Value)) continue;
            builder.Add(o.Hours, o.Channel, o.Value, lineNumber: 0);
        }
        return builder.Build();
    }

    static int[] FindTimeSteps(double[] hours)
    {
        var starts = new List<int>(hours.Length + 1);
        for (int i = 0; i < hours.Length; i++)
            if (i == 0 || hours[i] != hours[i - 1]) starts.Add(i);
        starts.Add(hours.Length);
        return [.. starts];
    }

    /// <summary>Accumulates encoded events; shared by the CSV reader and <see cref="FromObservations"/>.</summary>
    internal sealed class Builder(DiscretizerConfig config, InvalidValuePolicy policy, string source, int capacity = 64)
    {
        readonly List<double> hours = new(capacity);
        readonly List<byte> channels = new(capacity);
        readonly List<double> codes = new(capacity);
        int ignored;

        /// <summary>Encodes and appends one cell; <paramref name="lineNumber"/> (0 for in-memory input) only feeds error messages.</summary>
        public void Add(double time, int channel, ReadOnlySpan<char> text, int lineNumber)
        {
            var result = config.Encode(channel, text, out double code);
            if (result != EncodeResult.Ok)
            {
                if (policy == InvalidValuePolicy.TreatAsMissing)
                {
                    ignored++;
                    return;
                }
                throw Invalid(result, channel, text.ToString(), lineNumber > 0 ? $"line {lineNumber}" : $"observation at {time} h");
            }
            hours.Add(time);
            channels.Add((byte)channel);
            codes.Add(code);
        }

        ClinFuseException Invalid(EncodeResult result, int channel, string text, string where)
        {
            string name = config.Channels[channel];
            string problem = result switch
            {
                EncodeResult.UnknownCategory => $"'{text}' is not a category of '{name}' (known: {string.Join(", ", config.Categories(channel).Select(c => $"'{c}'"))})",
                EncodeResult.NotFinite => $"'{text}' of '{name}' is not a finite number",
                _ => $"'{text}' of '{name}' is not a number",
            };
            return new ClinFuseException($"{source}, {where}: {problem}.",
                "Fix the value in the episode data, or read it with InvalidValuePolicy.TreatAsMissing to treat such cells as missing.");
        }

        public SeriesEpisode Build() => new(source, config, [.. hours], [.. channels], [.. codes], ignored);
    }
}
