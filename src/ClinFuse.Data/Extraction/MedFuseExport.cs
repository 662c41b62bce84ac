using ClinFuse.Core;
using System.Globalization;
using System.Text;
using ClinFuse.Data.Cohort;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Extraction;

/// <summary>
/// Writes MedFuse's directory layout (A.8 of the reference): root/all_stays.csv and the episode
/// series per subject, and per task {train,test}/ series files with listfile.csv plus
/// train_listfile.csv, val_listfile.csv and test_listfile.csv.
/// </summary>
internal static class MedFuseExport
{
    /// <summary>The export's folder inside a cohort store (<c>extract --export medfuse</c>).</summary>
    public const string Folder = "medfuse";

    static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>Header of every series file.</summary>
    public static string SeriesHeader { get; } = "Hours," + string.Join(",", ExtractionResources.Variables.Select(Quote));

    /// <summary>One series line exactly as pandas writes it (Hours as Python float repr).</summary>
    public static string SeriesLine(double hours, IReadOnlyList<string?> cells)
    {
        var sb = new StringBuilder(PythonFloat.Repr(hours));
        foreach (var c in cells) sb.Append(',').Append(c is null ? "" : Quote(c));
        return sb.ToString();
    }

    /// <summary>CSV minimal quoting (Python csv / pandas QUOTE_MINIMAL).</summary>
    public static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;

    /// <summary>Writes the layout under <paramref name="root"/>.</summary>
    public static void Write(string root, IReadOnlyList<Stay> stays, IReadOnlyList<Episode> episodes,
        IReadOnlyDictionary<ClinicalTask, List<TaskSample>> samples, IReadOnlyDictionary<long, Split> splits, CompatMode compat)
    {
        WriteAllStays(Path.Combine(root, "root", "all_stays.csv"), stays);
        foreach (var e in episodes)
        {
            var partition = splits[e.Stay.SubjectId] == Split.Test ? "test" : "train";
            var dir = Path.Combine(root, "root", partition, e.Stay.SubjectId.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            WriteSeries(Path.Combine(dir, $"episode{e.Number}_timeseries.csv"), e.Rows, _ => true);
        }
        foreach (var (task, list) in samples)
        {
            var taskDir = Path.Combine(root, ClinicalTasks.Name(task));
            var header = task == ClinicalTask.InHospitalMortality
                ? "stay,period_length,stay_id,y_true"
                : "stay,period_length,stay_id," + string.Join(",", ExtractionResources.PhenotypeLabels.Select(Quote));
            var lines = new Dictionary<Split, List<string>> { [Split.Train] = [], [Split.Validation] = [], [Split.Test] = [] };
            foreach (var s in list)
            {
                var partition = s.Split == Split.Test ? "test" : "train";
                Directory.CreateDirectory(Path.Combine(taskDir, partition));
                WriteSeries(Path.Combine(taskDir, partition, s.Episode.SeriesFileName), s.Episode.Rows, h => TaskBuilder.InPeriod(h, s.PeriodHours));
                lines[s.Split].Add(ListLine(task, s, compat));
            }
            foreach (var partition in new[] { "train", "test" })
            {
                Directory.CreateDirectory(Path.Combine(taskDir, partition));
                var rows = partition == "test" ? lines[Split.Test] : [.. lines[Split.Train], .. lines[Split.Validation]];
                rows.Sort(string.CompareOrdinal);
                WriteLines(Path.Combine(taskDir, partition, "listfile.csv"), header, rows);
            }
            WriteLines(Path.Combine(taskDir, "train_listfile.csv"), header, lines[Split.Train]);
            WriteLines(Path.Combine(taskDir, "val_listfile.csv"), header, lines[Split.Validation]);
            WriteLines(Path.Combine(taskDir, "test_listfile.csv"), header, lines[Split.Test]);
        }
    }

    static string ListLine(ClinicalTask task, TaskSample s, CompatMode compat)
    {
        var stay = s.Episode.Stay.StayId.ToString(CultureInfo.InvariantCulture);
        var labels = string.Join(",", s.Labels);
        if (task == ClinicalTask.InHospitalMortality)
            // The reference writes 0 and its loader substitutes 48; the default writes the real period.
            return $"{s.Episode.SeriesFileName},{(compat == CompatMode.MedFuse ? "0" : "48")},{stay},{labels}";
        return $"{s.Episode.SeriesFileName},{s.PeriodHours.ToString("F6", CultureInfo.InvariantCulture)},{stay},{labels}";
    }

    static void WriteSeries(string path, IReadOnlyList<EpisodeRow> rows, Func<double, bool> keep)
    {
        using var w = new StreamWriter(path, false, Utf8);
        w.Write(SeriesHeader);
        w.Write('\n');
        foreach (var r in rows)
        {
            if (!keep(r.Hours)) continue;
            w.Write(SeriesLine(r.Hours, r.Cells));
            w.Write('\n');
        }
    }

    static void WriteLines(string path, string header, IEnumerable<string> lines)
    {
        using var w = new StreamWriter(path, false, Utf8);
        w.Write(header);
        w.Write('\n');
        foreach (var l in lines) { w.Write(l); w.Write('\n'); }
    }

    static void WriteAllStays(string path, IReadOnlyList<Stay> stays)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // pandas writes a datetime column without its time part when every value is midnight.
        var dodDateOnly = stays.All(s => s.Dod is not { } d || d.TimeOfDay == TimeSpan.Zero);
        string T(DateTime? t) => t is { } v ? Mimic.MimicTime.Format(v) : "";
        var lines = stays.Select(s => string.Join(",",
            s.SubjectId, s.HadmId, s.StayId, Quote(s.LastCareunit), T(s.Intime), T(s.Outtime),
            s.LosDays is null ? "" : s.LosText, T(s.Admittime), T(s.Dischtime), T(s.Deathtime), Quote(s.Ethnicity), Quote(s.Gender),
            s.AnchorAge, s.Dod is { } dod ? (dodDateOnly ? dod.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : T(dod)) : "",
            s.Age, s.MortalityInUnit ? 1 : 0, s.Mortality ? 1 : 0, s.Mortality ? 1 : 0));
        WriteLines(path, "subject_id,hadm_id,stay_id,last_careunit,intime,outtime,los,admittime,dischtime,deathtime,ethnicity,gender,anchor_age,dod,age,mortality_inunit,mortality,mortality_inhospital", lines);
    }
}
