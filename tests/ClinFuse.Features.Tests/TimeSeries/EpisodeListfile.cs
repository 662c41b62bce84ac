using System.Globalization;
using ClinFuse.Core;

namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>One row of a task listfile: the episode file name, its period length in hours, the stay id and the labels.</summary>
public sealed record EpisodeListEntry(string EpisodeFile, double PeriodLength, long StayId, int[] Labels);

/// <summary>
/// A MedFuse task listfile (<c>{task}/{train,val,test}_listfile.csv</c>): header
/// <c>stay,period_length,stay_id,&lt;label names&gt;</c> (mortality: <c>y_true</c>; phenotyping: the
/// 25 phenotype names), then one row per episode, in the order the dataset serves them.
/// </summary>
public sealed record EpisodeListfile(IReadOnlyList<string> LabelNames, IReadOnlyList<EpisodeListEntry> Entries)
{
    /// <summary>Reads a listfile; cells are split on every comma, as the reference does (names contain no commas).</summary>
    public static EpisodeListfile Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinFuseException($"Cannot read listfile {path}: {e.Message}", "Check the task folder.", inner: e);
        }
        if (lines.Length == 0 || !lines[0].StartsWith("stay,period_length,stay_id,", StringComparison.Ordinal))
            throw new ClinFuseException($"{path}: the header must start with 'stay,period_length,stay_id,' followed by the label names.", "Is this a task listfile?");
        string[] labelNames = lines[0].TrimEnd().Split(',')[3..];
        var entries = new List<EpisodeListEntry>(lines.Length - 1);
        for (int n = 1; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            string where = $"{path}, line {n + 1}";
            if (cells.Length != 3 + labelNames.Length)
                throw new ClinFuseException($"{where}: expected {3 + labelNames.Length} cells, found {cells.Length}.");
            if (!double.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double period) || !double.IsFinite(period) || period < 0)
                throw new ClinFuseException($"{where}: period_length '{cells[1]}' is not a non-negative number of hours.");
            if (!long.TryParse(cells[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long stayId))
                throw new ClinFuseException($"{where}: stay_id '{cells[2]}' is not an integer.");
            var labels = new int[labelNames.Length];
            for (int k = 0; k < labels.Length; k++)
            {
                // The reference reads labels as floats and casts them to int; anything but 0/1 is a corrupt row.
                if (!double.TryParse(cells[3 + k], NumberStyles.Float, CultureInfo.InvariantCulture, out double label) || label is not (0.0 or 1.0))
                    throw new ClinFuseException($"{where}: label '{labelNames[k]}' is '{cells[3 + k]}', expected 0 or 1.");
                labels[k] = (int)label;
            }
            entries.Add(new EpisodeListEntry(cells[0], period, stayId, labels));
        }
        return new EpisodeListfile(labelNames, entries);
    }
}
