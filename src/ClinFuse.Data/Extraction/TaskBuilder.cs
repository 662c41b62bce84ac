using ClinFuse.Core;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Extraction;

/// <summary>Why episodes did not become samples, per task.</summary>
internal sealed class TaskExclusions
{
    public long NoDiagnoses;
    public long LosMissing;
    public long LosTooShort;
    public long NoDataInPeriod;
}

/// <summary>
/// Builds the IHM and phenotyping samples from episodes (reference stage 5,
/// <c>create_in_hospital_mortality.py</c> and <c>create_phenotyping.py</c>).
/// </summary>
internal static class TaskBuilder
{
    /// <summary>Observation window of IHM (hours).</summary>
    public const double IhmHours = 48.0;

    /// <summary>Tolerance of the reference's window tests.</summary>
    public const double Eps = 1e-6;

    /// <summary>True when a row at <paramref name="hours"/> lies in the observation period (both ends open by eps).</summary>
    public static bool InPeriod(double hours, double periodHours) => -Eps < hours && hours < periodHours + Eps;

    /// <summary>The phenotype label vector (25 bits, listfile order) of a stay's diagnoses.</summary>
    public static int[] PhenotypeLabels(IReadOnlyList<Diagnosis>? diagnoses, CompatMode compat)
    {
        var labels = new int[ExtractionResources.PhenotypeLabels.Count];
        if (diagnoses is null) return labels;
        var map = compat == CompatMode.MedFuse ? CodeMap.Value.ByCode : null;
        foreach (var d in diagnoses)
        {
            int index;
            if (map is not null) { if (!map.TryGetValue(d.IcdCode, out index)) continue; }
            else if (!CodeMap.Value.ByVersionedCode.TryGetValue((d.IcdCode, d.IcdVersion), out index)) continue;
            if (index >= 0) labels[index] = 1;
        }
        return labels;
    }

    sealed record Maps(Dictionary<string, int> ByCode, Dictionary<(string, int), int> ByVersionedCode);

    // Code → benchmark label index (-1 for a non-benchmark group). icd_9_10_definitions_2.yaml lists,
    // for each benchmark group, its ICD-9 codes followed by an equally long list of ICD-10 codes.
    static readonly Lazy<Maps> CodeMap = new(() =>
    {
        var labelIndex = ExtractionResources.PhenotypeLabels.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var byCode = new Dictionary<string, int>(StringComparer.Ordinal);
        var byVersion = new Dictionary<(string, int), int>();
        foreach (var g in ExtractionResources.PhenotypeGroups)
        {
            var index = g.UseInBenchmark ? labelIndex[g.Name] : -1;
            var icd9Count = g.UseInBenchmark ? g.Codes.Count / 2 : g.Codes.Count;
            for (int i = 0; i < g.Codes.Count; i++)
            {
                byCode[g.Codes[i]] = index; // later groups overwrite, as the reference's dict does
                byVersion[(g.Codes[i], i < icd9Count ? 9 : 10)] = index;
            }
        }
        return new Maps(byCode, byVersion);
    });

    /// <summary>Builds the samples of <paramref name="task"/> from all episodes.</summary>
    public static List<TaskSample> Build(ClinicalTask task, IReadOnlyList<Episode> episodes, IReadOnlyDictionary<long, Split> splits,
        IReadOnlyDictionary<long, IReadOnlyList<Diagnosis>> diagnoses, CompatMode compat, Func<Episode, ClinicalTask, LinkedImage?> link, TaskExclusions excluded)
    {
        var samples = new List<TaskSample>();
        foreach (var episode in episodes)
        {
            // A stay without diagnoses has no episode label row in the reference; both tasks skip it.
            if (!episode.HasDiagnoses) { excluded.NoDiagnoses++; continue; }
            if (episode.Stay.LosDays is not { } losDays) { excluded.LosMissing++; continue; }
            var losHours = 24.0 * losDays;
            double period;
            IReadOnlyList<int> labels;
            if (task == ClinicalTask.InHospitalMortality)
            {
                if (losHours < IhmHours - Eps) { excluded.LosTooShort++; continue; }
                period = IhmHours;
                labels = [episode.Stay.Mortality ? 1 : 0];
            }
            else
            {
                period = losHours;
                labels = PhenotypeLabels(diagnoses.GetValueOrDefault(episode.Stay.StayId), compat);
            }
            var rows = 0;
            foreach (var r in episode.Rows)
                if (InPeriod(r.Hours, period)) rows++;
            if (rows == 0) { excluded.NoDataInPeriod++; continue; }
            samples.Add(new TaskSample(episode, splits[episode.Stay.SubjectId], period, labels, rows, link(episode, task)));
        }
        samples.Sort((a, b) => string.CompareOrdinal(a.Episode.SeriesFileName, b.Episode.SeriesFileName));
        return samples;
    }
}
