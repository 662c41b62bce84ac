using System.Globalization;
using ClinFuse.Core;

namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// Reads MedFuse / mimic3-benchmarks episode files (<c>{stay}_timeseries.csv</c>): a header line
/// <c>Hours,&lt;channel names&gt;</c>, then one line per observation time; an empty cell is a missing value.
/// </summary>
/// <remarks>
/// As in the reference reader, cells are taken by position (cell j is channel j-1 of the
/// configuration) and the channel names in the header are not consulted; lines are trimmed of surrounding white
/// space (so CRLF files read the same) and split on every comma (no quoting). Unlike the reference,
/// the header must start with <c>Hours</c> and have one cell per channel;
/// blank lines are skipped; and a file without data rows is a valid, empty episode.
/// </remarks>
public static class EpisodeCsvReader
{
    /// <summary>Reads and encodes one episode file.</summary>
    public static SeriesEpisode Read(string path, DiscretizerConfig? config = null, InvalidValuePolicy policy = InvalidValuePolicy.Reject)
    {
        try
        {
            using var reader = new StreamReader(path);
            return Read(reader, path, config, policy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinFuseException($"Cannot read episode file {path}: {e.Message}", "Check that the file exists and is readable.", inner: e);
        }
    }

    /// <summary>Reads and encodes one episode from text; <paramref name="source"/> names it in error messages.</summary>
    public static SeriesEpisode Read(TextReader reader, string source, DiscretizerConfig? config = null, InvalidValuePolicy policy = InvalidValuePolicy.Reject)
    {
        config ??= DiscretizerConfig.Reference;
        int cellCount = config.ChannelCount + 1;
        string? header = reader.ReadLine();
        if (header is null || CountCells(header.AsSpan().Trim()) != cellCount || !header.StartsWith("Hours,", StringComparison.Ordinal))
            throw new ClinFuseException($"{source}: the first line must be the header 'Hours' + {config.ChannelCount} channel names ({cellCount} comma-separated cells).",
                "Is this an episode time-series CSV?");

        var builder = new SeriesEpisode.Builder(config, policy, source);
        double previous = double.NegativeInfinity;
        int lineNumber = 1;
        while (reader.ReadLine() is { } rawLine)
        {
            lineNumber++;
            var line = rawLine.AsSpan().Trim();
            if (line.IsEmpty) continue;
            if (CountCells(line) != cellCount)
                throw new ClinFuseException($"{source}, line {lineNumber}: expected {cellCount} comma-separated cells, found {CountCells(line)}.",
                    "Every data line needs Hours plus one (possibly empty) cell per channel.");

            int comma = line.IndexOf(',');
            if (!double.TryParse(line[..comma], NumberStyles.Float, CultureInfo.InvariantCulture, out double time) || !double.IsFinite(time))
                throw new ClinFuseException($"{source}, line {lineNumber}: Hours '{line[..comma].ToString()}' is not a finite number.");
            // The reference asserts ts[i] < ts[i+1] + eps over consecutive rows.
            if (!(previous < time + SeriesEpisode.TimeEpsilon))
                throw new ClinFuseException($"{source}, line {lineNumber}: Hours go back in time ({previous.ToString(CultureInfo.InvariantCulture)} then {time.ToString(CultureInfo.InvariantCulture)}).",
                    "Episode rows must be sorted by Hours.");
            previous = time;

            var rest = line[(comma + 1)..];
            for (int channel = 0; channel < config.ChannelCount; channel++)
            {
                int next = rest.IndexOf(',');
                var cell = next < 0 ? rest : rest[..next];
                if (!cell.IsEmpty) builder.Add(time, channel, cell, lineNumber);
                rest = next < 0 ? [] : rest[(next + 1)..];
            }
        }
        return builder.Build();
    }

    static int CountCells(ReadOnlySpan<char> line) => line.Count(',') + 1;
}
