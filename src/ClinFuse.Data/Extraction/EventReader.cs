using System.Runtime.ExceptionServices;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Extraction;

/// <summary>
/// Streams chartevents and labevents (in parallel, one table per core), keeps rows of mapped items
/// and cohort subjects, and attributes each to a stay as the reference's validation does.
/// </summary>
internal static class EventReader
{
    /// <summary>pandas' default NA strings (pandas &lt; 2.0, as the reference ran): it reads events.csv with them, so these values vanish.</summary>
    static readonly HashSet<string> PandasNa = new(StringComparer.Ordinal)
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null",
    };

    /// <summary>The tables read, in the order <see cref="Read"/> writes them to the spill.</summary>
    internal const int Tables = 2;

    /// <summary>
    /// Reads and cleans the events of <paramref name="stays"/> into <paramref name="spill"/>, table
    /// <c>t</c> into <c>spill.Table(t)</c> (cleaning runs on the reading thread, so raw events are never held).
    /// </summary>
    internal static EventCounts Read(MimicIvSource source, IReadOnlyList<Stay> stays, CompatMode compat, int threads, EventSpill spill, IStageProgress progress, CancellationToken ct)
    {
        var stayIndex = new Dictionary<long, int>(stays.Count);
        var hadmStay = new Dictionary<long, int>(stays.Count);
        var subjects = new HashSet<long>();
        for (int i = 0; i < stays.Count; i++)
        {
            stayIndex[stays[i].StayId] = i;
            hadmStay[stays[i].HadmId] = i;
            subjects.Add(stays[i].SubjectId);
        }
        var tables = new[] { (Path: source.ChartEvents, Name: "chartevents"), (Path: source.LabEvents, Name: "labevents") };
        var results = new EventCounts[tables.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct };
        try
        {
            Parallel.For(0, tables.Length, options, t =>
            {
                using var step = progress.Step($"read {tables[t].Name}", unit: "rows");
                results[t] = ReadTable(tables[t].Path, stayIndex, hadmStay, subjects, compat, spill.Table(t), step, ct);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<ClinFuseException>().FirstOrDefault() is { } first)
        {
            // A user error in one table is the message, not the parallel loop around it.
            ExceptionDispatchInfo.Capture(first).Throw();
        }
        var counts = new EventCounts();
        foreach (var c in results) counts.Add(c);
        return counts;
    }

    static EventCounts ReadTable(string path, Dictionary<long, int> stayIndex, Dictionary<long, int> hadmStay, HashSet<long> subjects,
        CompatMode compat, EventSpill.TableWriter events, IProgressStep step, CancellationToken ct)
    {
        var items = ExtractionResources.Items;
        var counts = new EventCounts();
        var pandasNa = PandasNa.GetAlternateLookup<ReadOnlySpan<char>>();
        // Text values that survive cleaning (GCS, and HR/RR/MBP in compat) are stored per event and
        // repeat heavily, so they are interned per table.
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        var lookup = pool.GetAlternateLookup<ReadOnlySpan<char>>();
        string Intern(ReadOnlySpan<char> s)
        {
            if (s.IsEmpty) return "";
            if (lookup.TryGetValue(s, out var existing)) return existing;
            var str = s.ToString();
            pool[str] = str;
            return str;
        }
        counts.RowsRead = CsvSource.ForEachRow(path, ["subject_id", "hadm_id", "charttime", "itemid", "value", "valuenum"], ["stay_id", "valueuom"],
            (row, c) =>
            {
                var itemSpan = row[c[3]].Span;
                if (!int.TryParse(itemSpan, out var itemId) || !items.ContainsKey(itemId)) return;
                if (!long.TryParse(row[c[0]].Span, out var subject) || !subjects.Contains(subject)) return;
                counts.MappedRows++;
                var hadm = CsvSource.Id(row, c[1], "hadm_id");
                if (hadm is null) { counts.EmptyHadm++; return; }
                if (!hadmStay.TryGetValue(hadm.Value, out var stayOfHadm)) { counts.HadmNotInCohort++; return; }
                var stayId = CsvSource.Id(row, c[6], "stay_id");
                if (stayId is null) counts.StayFilledFromHadm++;
                else if (!stayIndex.TryGetValue(stayId.Value, out var own) || own != stayOfHadm) { counts.StayMismatch++; return; }
                var value = row[c[4]].Span;
                var valueNum = row[c[5]].Span;
                if (compat == CompatMode.MedFuse ? pandasNa.Contains(value) : value.IsEmpty && valueNum.IsEmpty)
                {
                    counts.NullValue++;
                    return;
                }
                var time = FastTime.Seconds(row[c[2]].Span) ?? throw new FormatException($"charttime '{row[c[2]].ToString()}' is not yyyy-MM-dd HH:mm:ss");
                counts.Kept++;
                var item = items[itemId];
                var raw = new ChartEvent(stayOfHadm, time, itemId, Intern(value), Intern(valueNum), c[7] < 0 ? "" : Intern(row[c[7]].Span));
                if (EventCleaning.Clean(raw, item, compat) is not { } clean) { counts.DroppedByCleaning[item.Variable]++; return; }
                counts.PerVariable[item.Variable]++;
                events.Add(new CleanEvent(stayOfHadm, time, item.Variable, clean));
            }, step, ct, requireRows: Path.GetFileName(path).StartsWith("chartevents", StringComparison.Ordinal));
        return counts;
    }
}

/// <summary>Fast parsing of MIMIC's fixed "yyyy-MM-dd HH:mm:ss" timestamps to seconds since 0001-01-01.</summary>
internal static class FastTime
{
    /// <summary>Seconds since <see cref="DateTime.MinValue"/>, or null when the text is not a timestamp.</summary>
    public static long? Seconds(ReadOnlySpan<char> s)
    {
        if (s.Length == 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':')
        {
            int y = D(s, 0) * 1000 + D(s, 1) * 100 + D(s, 2) * 10 + D(s, 3), mo = D(s, 5) * 10 + D(s, 6), d = D(s, 8) * 10 + D(s, 9);
            int h = D(s, 11) * 10 + D(s, 12), mi = D(s, 14) * 10 + D(s, 15), se = D(s, 17) * 10 + D(s, 18);
            if (y is >= 1 and <= 9999 && mo is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, mo) && h < 24 && mi < 60 && se < 60)
                return new DateTime(y, mo, d, h, mi, se).Ticks / TimeSpan.TicksPerSecond;
            return null;
        }
        return MimicTime.Parse(s) is { } t ? t.Ticks / TimeSpan.TicksPerSecond : null;
    }

    static int D(ReadOnlySpan<char> s, int i) => char.IsAsciiDigit(s[i]) ? s[i] - '0' : 10000;

    /// <summary>Seconds since <see cref="DateTime.MinValue"/> of a time.</summary>
    public static long Seconds(DateTime t) => t.Ticks / TimeSpan.TicksPerSecond;
}
