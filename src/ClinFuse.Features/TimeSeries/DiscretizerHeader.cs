namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// Names of the discretizer's output columns, spelled as the reference does: <c>Channel-&gt;Value</c>
/// for one-hot columns, the channel name for continuous columns and <c>mask-&gt;Channel</c> for masks.
/// </summary>
public sealed class DiscretizerHeader
{
    internal DiscretizerHeader(DiscretizerConfig config)
    {
        var names = new List<string>(config.ColumnCount);
        for (int ch = 0; ch < config.ChannelCount; ch++)
        {
            if (config.IsCategorical(ch))
                foreach (var category in config.Categories(ch)) names.Add($"{config.Channels[ch]}->{category}");
            else
                names.Add(config.Channels[ch]);
        }
        foreach (var channel in config.Channels) names.Add($"mask->{channel}");
        Names = names;
        var standardized = new List<int>();
        for (int c = 0; c < names.Count; c++)
            if (!names[c].Contains("->", StringComparison.Ordinal)) standardized.Add(c);
        StandardizedColumns = standardized;
    }

    /// <summary>The 76 column names in output order (for the reference configuration).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>
    /// Columns the reference normalizer standardises: those whose name has no "-&gt;", i.e. the
    /// continuous channels (2, 3, 49–58 for the reference configuration).
    /// </summary>
    public IReadOnlyList<int> StandardizedColumns { get; }

    /// <summary>The header line as the reference discretizer returns it (names joined by commas).</summary>
    public override string ToString() => string.Join(',', Names);
}
