using System.Globalization;
using System.Text;
using ClinFuse.Data.Cohort;

namespace ClinFuse.Tests.Inference;

/// <summary>Stays of a cohort store written as episode time-series CSVs (the single-stay input of predict and serve).</summary>
static class EpisodeFiles
{
    /// <summary>The observation period of <paramref name="sample"/> as CSV text: Hours + the 17 channels.</summary>
    public static string Csv(CohortStore cohort, CohortSample sample)
    {
        var text = new StringBuilder("Hours," + string.Join(',', CohortStore.Variables) + "\n");
        foreach (var point in cohort.Series(sample))
            text.Append(point.Hours.ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(string.Join(',', point.Values.Select(v => v ?? ""))).Append('\n');
        return text.ToString();
    }

    /// <summary>Writes <see cref="Csv"/> to <paramref name="path"/>.</summary>
    public static string Write(CohortStore cohort, CohortSample sample, string path)
    {
        File.WriteAllText(path, Csv(cohort, sample));
        return path;
    }
}
