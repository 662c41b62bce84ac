namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// One measured value of an ICU stay in memory: hours since ICU admission, channel index (position
/// in <see cref="DiscretizerConfig.Channels"/>) and the value as the episode CSV would hold it
/// (a category string such as "Confused", or a number).
/// </summary>
public readonly record struct SeriesObservation(double Hours, int Channel, string Value);

/// <summary>What to do with a cell the discretizer cannot encode.</summary>
public enum InvalidValuePolicy
{
    /// <summary>
    /// Stop with a <see cref="ClinFuse.Core.ClinFuseException"/> naming the source, row, channel and
    /// value (the reference raises on unknown categories and non-numeric values too).
    /// </summary>
    Reject,

    /// <summary>Treat the cell as missing (mask 0, previous value carried forward) and count it in <see cref="SeriesEpisode.IgnoredValueCount"/>.</summary>
    TreatAsMissing,
}
