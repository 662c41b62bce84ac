namespace ClinFuse.Data.Extraction;

/// <summary>
/// The cohort's subjects numbered in order of their first stay, and cut into contiguous ranges of
/// those numbers (partitions) whose events are read back and turned into episodes together.
/// </summary>
internal sealed class SubjectPartitions
{
    readonly int[] firstOrdinal;

    /// <param name="stays">The cohort's stays.</param>
    /// <param name="partitions">Partitions wanted; fewer when there are fewer subjects, at least one.</param>
    public SubjectPartitions(IReadOnlyList<Stay> stays, int partitions)
    {
        var ordinalOf = new Dictionary<long, int>();
        var subjects = new List<List<int>>();
        OrdinalOfStay = new int[stays.Count];
        for (int i = 0; i < stays.Count; i++)
        {
            if (!ordinalOf.TryGetValue(stays[i].SubjectId, out var o))
            {
                o = subjects.Count;
                ordinalOf[stays[i].SubjectId] = o;
                subjects.Add([]);
            }
            subjects[o].Add(i);
            OrdinalOfStay[i] = o;
        }
        Subjects = subjects;
        Count = Math.Clamp(partitions, 1, Math.Max(1, subjects.Count));
        // Subject o goes to partition o * Count / subjects: contiguous ranges of near-equal size.
        firstOrdinal = new int[Count + 1];
        for (int p = 0; p <= Count; p++) firstOrdinal[p] = (int)(((long)p * subjects.Count + Count - 1) / Count);
        PartitionOfStay = new int[stays.Count];
        for (int i = 0; i < stays.Count; i++) PartitionOfStay[i] = (int)((long)OrdinalOfStay[i] * Count / subjects.Count);
    }

    /// <summary>Stay indices of each subject, by subject ordinal.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Subjects { get; }

    /// <summary>Subject ordinal of each stay index.</summary>
    public int[] OrdinalOfStay { get; }

    /// <summary>Partition of each stay index.</summary>
    public int[] PartitionOfStay { get; }

    /// <summary>Number of partitions.</summary>
    public int Count { get; }

    /// <summary>The subject ordinals [First, End) of partition <paramref name="partition"/>.</summary>
    public (int First, int End) Range(int partition) => (firstOrdinal[partition], firstOrdinal[partition + 1]);
}
