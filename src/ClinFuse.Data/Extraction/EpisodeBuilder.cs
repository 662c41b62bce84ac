using ClinFuse.Core;

namespace ClinFuse.Data.Extraction;

/// <summary>
/// Turns one subject's cleaned events into per-stay episodes (reference stage 3,
/// <c>extract_episodes_from_subjects.py</c> + <c>subject.py</c>). All time-window rules of the
/// episode live here.
/// </summary>
internal static class EpisodeBuilder
{
    const double SecondsPerMinute = 60.0;

    /// <summary>
    /// Builds the episodes of one subject. <paramref name="subjectStays"/> are the subject's stay
    /// indices; <paramref name="events"/> its cleaned events (any order).
    /// </summary>
    public static List<Episode> Build(IReadOnlyList<Stay> stays, IReadOnlyList<int> subjectStays, Span<CleanEvent> events,
        IReadOnlySet<long> staysWithDiagnoses, CompatMode compat) =>
        Build(stays, subjectStays, events, staysWithDiagnoses, compat, new CellPool());

    /// <summary>As above, sharing the cells' text with other subjects' episodes through <paramref name="pool"/>.</summary>
    internal static List<Episode> Build(IReadOnlyList<Stay> stays, IReadOnlyList<int> subjectStays, Span<CleanEvent> events,
        IReadOnlySet<long> staysWithDiagnoses, CompatMode compat, CellPool pool)
    {
        var n = ExtractionResources.Variables.Count;
        // Default: a row holds one stay's observations at one time. MedFuse: a row holds every
        // observation of the subject at that time, repeated once per stay charted at that time.
        var perStay = compat == CompatMode.None;
        events.Sort((a, b) =>
        {
            var c = a.Time.CompareTo(b.Time);
            if (c == 0 && perStay) c = a.StayIndex.CompareTo(b.StayIndex);
            return c != 0 ? c : a.Variable.CompareTo(b.Variable);
        });
        var rows = new List<(long Time, int Stay, string?[] Cells)>();
        var best = new CleanValue?[n];
        var stayBuffer = new List<int>();
        int i = 0;
        while (i < events.Length)
        {
            var time = events[i].Time;
            var stay = events[i].StayIndex;
            Array.Clear(best);
            stayBuffer.Clear();
            for (; i < events.Length && events[i].Time == time && (!perStay || events[i].StayIndex == stay); i++)
            {
                var e = events[i];
                if (!stayBuffer.Contains(e.StayIndex)) stayBuffer.Add(e.StayIndex);
                // One value per (time, variable): the largest in the reference's sort order (it sorts, then keeps the last).
                if (best[e.Variable] is not { } current || CleanValue.Compare(e.Value, current) >= 0) best[e.Variable] = e.Value;
            }
            var cells = new string?[n];
            for (int v = 0; v < n; v++) cells[v] = best[v] is { } value ? pool.Cell(value) : null;
            stayBuffer.Sort((a, b) => stays[a].StayId.CompareTo(stays[b].StayId));
            foreach (var st in stayBuffer) rows.Add((time, st, cells));
        }

        var ordered = subjectStays.OrderBy(s => stays[s].Intime).ThenBy(s => stays[s].Outtime).ToList();
        var episodes = new List<Episode>();
        for (int k = 0; k < ordered.Count; k++)
        {
            var stay = stays[ordered[k]];
            long intime = FastTime.Seconds(stay.Intime), outtime = FastTime.Seconds(stay.Outtime);
            var selected = new List<EpisodeRow>();
            foreach (var (time, s, cells) in rows)
            {
                var inWindow = time >= intime && time <= outtime;
                bool take = compat == CompatMode.MedFuse
                    ? s == ordered[k] || inWindow
                    // Default: only this stay's own observations inside its ICU window.
                    : inWindow && s == ordered[k];
                if (!take) continue;
                selected.Add(new EpisodeRow((time - intime) / SecondsPerMinute / SecondsPerMinute, cells));
            }
            if (selected.Count == 0) continue;
            // Rows are already in time order, so Hours order too (stable for equal hours).
            episodes.Add(new Episode(stay, k + 1, new PackedEpisodeRows(selected),
                FirstValid(selected, ExtractionResources.IndexOfVariable("Weight")),
                FirstValid(selected, ExtractionResources.IndexOfVariable("Height")),
                staysWithDiagnoses.Contains(stay.StayId)));
        }
        return episodes;
    }

    static string? FirstValid(List<EpisodeRow> rows, int variable)
    {
        foreach (var r in rows)
            if (r.Cells[variable] is { } c) return c;
        return null;
    }
}

/// <summary>
/// The cell text of cleaned values, made once per distinct number and shared by every row that
/// holds it (an extraction writes millions of cells from far fewer distinct values). Thread-safe.
/// </summary>
internal sealed class CellPool
{
    // Keyed by the bits: 0.0 and -0.0 are equal doubles but different cells.
    readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> numbers = new();

    /// <summary>The value's cell, as <see cref="CleanValue.Cell"/> writes it.</summary>
    public string Cell(CleanValue value) =>
        value.Text ?? numbers.GetOrAdd(BitConverter.DoubleToInt64Bits(value.Number), static bits => PythonFloat.Repr(BitConverter.Int64BitsToDouble(bits)));
}
