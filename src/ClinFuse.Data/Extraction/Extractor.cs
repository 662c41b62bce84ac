using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Mimic;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Extraction;

/// <summary>What an extraction produced.</summary>
public sealed record ExtractionResult(string Folder, bool Skipped, StageManifest Manifest, string FlowTable);

/// <summary>
/// <c>clinfuse extract</c>: MIMIC-IV (+ MIMIC-CXR-JPG) → cohort store. Streams the event tables,
/// builds stays, episodes, task samples, splits and image links, and writes the store atomically
/// with a manifest; an unchanged recipe is skipped.
/// </summary>
public static class Extractor
{
    /// <summary>Files at least this large are identified by size + mtime instead of SHA-256.</summary>
    public const long HashLimitBytes = 256L << 20;

    /// <summary>Folder of the working output that holds the cleaned events between reading and building episodes.</summary>
    internal const string SpillFolder = ".events";

    /// <summary>Runs the extraction.</summary>
    public static async Task<ExtractionResult> RunAsync(ExtractionOptions options, ComputeSettings compute, IStageProgress progress, CancellationToken ct = default)
    {
        var mimic = MimicIvSource.Detect(options.MimicIv);
        var cxr = options.MimicCxr is null ? null : MimicCxrSource.Detect(options.MimicCxr);
        var config = StageManifest.ConfigOf(ExtractConfig.Of(options, mimic.Layout == MimicIvLayout.V1 ? "v1.0" : "v2+", cxr is null ? null : Path.GetFullPath(cxr.Root)));
        var inputs = new List<InputFile>();
        using (progress.Step("identify inputs", mimic.Tables.Count + (cxr is null ? 0 : 1), "files"))
        {
            foreach (var (_, path) in mimic.Tables) inputs.Add(Describe(path, mimic.Root));
            if (cxr is not null) inputs.Add(Describe(cxr.Metadata, cxr.Root));
        }
        var wanted = new StageManifest { Stage = "extract", Config = config, Inputs = inputs };
        var check = StageOutput.Check(options.Out, wanted, options.Force, progress);
        if (check.UpToDate is { } existing)
            return new ExtractionResult(Path.GetFullPath(options.Out), true, existing, File.ReadAllText(Path.Combine(options.Out, CohortStore.FlowFile)));

        using var output = StageOutput.Begin(options.Out, check.Replace);
        var timings = new Dictionary<string, double>();
        var counts = new Dictionary<string, long>();
        var clock = Stopwatch.StartNew();
        void Lap(string name) { timings[name] = Math.Round(clock.Elapsed.TotalSeconds, 3); clock.Restart(); }

        var cohort = StayCohort.Build(mimic, options.Compat, progress, ct);
        Lap("stays");
        if (cohort.Stays.Count == 0)
            throw new ClinFuseException($"--mimic-iv: no ICU stay of {mimic.Root} passes the cohort filters.", "Check that icustays, admissions and patients are complete tables.");

        var subjects = new SubjectPartitions(cohort.Stays, options.EventPartitions ?? EventSpill.DefaultPartitions);
        EventCounts eventCounts;
        List<Episode> episodes;
        // The spill lives in the working folder, so a failed or cancelled run removes it with the rest;
        // a finished one removes it before the store is written.
        using (var spill = new EventSpill(Path.Combine(output.Path, SpillFolder), subjects.PartitionOfStay, subjects.Count, EventReader.Tables))
        {
            eventCounts = EventReader.Read(mimic, cohort.Stays, options.Compat, compute.Threads, spill, progress, ct);
            Lap("events");
            episodes = BuildEpisodes(cohort, subjects, spill, options.Compat, compute, progress, ct);
        }
        Lap("episodes");

        var splits = SubjectSplit.Assign(cohort.Stays.Select(s => s.SubjectId), options.Split, options.Seed, options.ValidationFraction);
        CxrLinker? linker = null;
        if (cxr is not null)
        {
            using var step = progress.Step("read mimic-cxr metadata", unit: "rows");
            linker = CxrLinker.Load(cxr, cohort.Stays.Select(s => s.SubjectId).ToHashSet(), step, ct);
        }
        if (linker is { ImagesWithUnreadableTime: > 0 })
            progress.Info($"warning: {linker.ImagesWithUnreadableTime:N0} chest X-ray(s) of cohort subjects have an unparsable StudyDate/StudyTime in {cxr!.Metadata}; they are not linked (counted in {CohortStore.FlowFile}).");
        var samples = new Dictionary<ClinicalTask, List<TaskSample>>();
        var exclusions = new Dictionary<ClinicalTask, TaskExclusions>();
        foreach (var task in new[] { ClinicalTask.InHospitalMortality, ClinicalTask.Phenotyping })
        {
            exclusions[task] = new TaskExclusions();
            samples[task] = TaskBuilder.Build(task, episodes, splits, cohort.DiagnosesByStay, options.Compat,
                (e, t) => linker?.Link(e.Stay, t), exclusions[task]);
        }
        Lap("tasks");

        var flow = FlowTable(cohort, eventCounts, episodes, samples, exclusions, linker, counts);
        using (progress.Step("write cohort store", unit: "files"))
        {
            var episodeOf = episodes.ToDictionary(e => e.Stay.StayId);
            var stayRows = cohort.Stays.Select(s =>
            {
                episodeOf.TryGetValue(s.StayId, out var e);
                return new StayRow
                {
                    StayId = s.StayId, SubjectId = s.SubjectId, HadmId = s.HadmId, Split = Splits.Name(splits[s.SubjectId]),
                    Episode = e?.Number, Intime = s.Intime, Outtime = s.Outtime, LosDays = s.LosDays, Age = s.Age, Gender = s.Gender,
                    Ethnicity = s.Ethnicity, LastCareunit = s.LastCareunit, Mortality = s.Mortality ? 1 : 0, MortalityInUnit = s.MortalityInUnit ? 1 : 0,
                    HasDiagnoses = cohort.DiagnosesByStay.ContainsKey(s.StayId), Weight = e?.Weight, Height = e?.Height,
                };
            }).OrderBy(r => r.StayId).ToList();
            var sampleRows = samples.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<SampleRow>)kv.Value.Select(s => new SampleRow
            {
                StayId = s.Episode.Stay.StayId, SubjectId = s.Episode.Stay.SubjectId, Episode = s.Episode.Number, SeriesFile = s.Episode.SeriesFileName,
                Split = Splits.Name(s.Split), PeriodLength = s.PeriodHours, Labels = [.. s.Labels], RowsInPeriod = s.RowsInPeriod,
                CxrDicomId = s.Image?.DicomId, CxrStudyId = s.Image?.StudyId, CxrPath = s.Image?.RelativePath, CxrStudyTime = s.Image?.StudyTime,
            }).ToList());
            var imageRows = linker?.Images.Select(i => new CxrImageRow
            {
                DicomId = i.DicomId, SubjectId = i.SubjectId, StudyId = i.StudyId, ViewPosition = i.ViewPosition, StudyTime = i.StudyTime,
                Path = i.RelativePath, Split = Splits.Name(splits[i.SubjectId]),
            }).ToList();
            await CohortStore.WriteAsync(output.Path, stayRows, episodes, sampleRows, imageRows, ct);
            if (options.ExportMedFuse) MedFuseExport.Write(Path.Combine(output.Path, MedFuseExport.Folder), cohort.Stays, episodes, samples, splits, options.Compat);
            File.WriteAllText(Path.Combine(output.Path, CohortStore.FlowFile), flow);
        }
        Lap("write");
        var manifest = (wanted with { Counts = counts, TimingsSeconds = timings }).WithOutputs(output.Path);
        manifest.Write(output.Path);
        output.Commit();
        return new ExtractionResult(output.FinalPath, false, manifest, flow);
    }

    static InputFile Describe(string path, string root)
    {
        var info = new FileInfo(path);
        if (info.Length < HashLimitBytes) return StageManifest.Describe(path, root);
        // Hashing tens of GB would dominate the run; size + mtime identifies an unchanged download.
        return new InputFile(Path.GetRelativePath(root, path), info.Length, "size+mtime:" + info.LastWriteTimeUtc.ToString("O", CultureInfo.InvariantCulture));
    }

    static List<Episode> BuildEpisodes(StayCohort cohort, SubjectPartitions subjects, EventSpill spill, CompatMode compat, ComputeSettings compute, IStageProgress progress, CancellationToken ct)
    {
        var stays = cohort.Stays;
        var withDiagnoses = cohort.DiagnosesByStay.Keys.ToHashSet();
        var perSubject = new List<Episode>[subjects.Subjects.Count];
        var cells = new CellPool();
        using var step = progress.Step("build episodes", perSubject.Length, "subjects");
        for (int p = 0; p < subjects.Count; p++)
        {
            var (first, end) = subjects.Range(p);
            // Group the partition's events by subject, keeping their order: each subject's events become one slice.
            var events = spill.Read(p);
            var starts = new int[end - first + 1];
            foreach (var e in events) starts[subjects.OrdinalOfStay[e.StayIndex] - first + 1]++;
            for (int s = 0; s < end - first; s++) starts[s + 1] += starts[s];
            var grouped = new CleanEvent[events.Count];
            var next = starts[..^1];
            foreach (var e in events) grouped[next[subjects.OrdinalOfStay[e.StayIndex] - first]++] = e;
            events = null;
            Parallel.For(first, end, compute.ParallelOptions(ct), s =>
            {
                var slice = grouped.AsSpan(starts[s - first], starts[s - first + 1] - starts[s - first]);
                perSubject[s] = EpisodeBuilder.Build(stays, subjects.Subjects[s], slice, withDiagnoses, compat, cells);
                step.Advance();
            });
        }
        return [.. perSubject.SelectMany(x => x)];
    }

    static string FlowTable(StayCohort cohort, EventCounts ev, List<Episode> episodes,
        Dictionary<ClinicalTask, List<TaskSample>> samples, Dictionary<ClinicalTask, TaskExclusions> exclusions, CxrLinker? linker, Dictionary<string, long> counts)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Cohort flow").AppendLine();
        sb.AppendLine("| step | stays | admissions | subjects |").AppendLine("|---|---:|---:|---:|");
        foreach (var f in cohort.Flow)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {f.Step} | {f.Stays:N0} | {f.Admissions:N0} | {f.Subjects:N0} |");
            counts[$"cohort.{f.Key}.stays"] = f.Stays;
            counts[$"cohort.{f.Key}.admissions"] = f.Admissions;
            counts[$"cohort.{f.Key}.subjects"] = f.Subjects;
        }
        sb.AppendLine().AppendLine("| events | rows |").AppendLine("|---|---:|");
        void Ev(string name, string key, long v) { sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {v:N0} |"); counts["events." + key] = v; }
        Ev("read (chartevents + labevents)", "read", ev.RowsRead);
        Ev("mapped item of a cohort subject", "mapped", ev.MappedRows);
        Ev("dropped: empty hadm_id", "empty_hadm", ev.EmptyHadm);
        Ev("dropped: admission not in cohort", "hadm_not_in_cohort", ev.HadmNotInCohort);
        Ev("stay_id filled from the admission", "stay_filled", ev.StayFilledFromHadm);
        Ev("dropped: stay_id differs from the admission's stay", "stay_mismatch", ev.StayMismatch);
        Ev("dropped: empty value", "null_value", ev.NullValue);
        Ev("kept after validation", "kept", ev.Kept);
        sb.AppendLine().AppendLine("| variable | kept after cleaning | dropped by cleaning |").AppendLine("|---|---:|---:|");
        for (int v = 0; v < ev.PerVariable.Length; v++)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {ExtractionResources.Variables[v]} | {ev.PerVariable[v]:N0} | {ev.DroppedByCleaning[v]:N0} |");
            counts[$"variable.{ExtractionResources.Variables[v]}"] = ev.PerVariable[v];
        }
        counts["episodes"] = episodes.Count;
        counts["episode_rows"] = episodes.Sum(e => (long)e.Rows.Count);
        sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Episodes: {episodes.Count:N0} ({counts["episode_rows"]:N0} rows); stays without diagnoses: {cohort.Stays.Count(s => !cohort.DiagnosesByStay.ContainsKey(s.StayId)):N0}.");
        if (linker is not null)
        {
            counts["cxr.images_of_cohort_subjects"] = linker.Images.Count;
            counts["cxr.images_without_time"] = linker.ImagesWithoutTime;
            counts["cxr.images_with_unreadable_time"] = linker.ImagesWithUnreadableTime;
            sb.AppendLine(CultureInfo.InvariantCulture, $"Chest X-rays of cohort subjects: {linker.Images.Count:N0} ({linker.ImagesWithoutTime:N0} without a study time, of which {linker.ImagesWithUnreadableTime:N0} with an unparsable StudyDate/StudyTime; never linked).");
        }
        foreach (var (task, list) in samples)
        {
            var name = ClinicalTasks.ShortName(task);
            var x = exclusions[task];
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {ClinicalTasks.Name(task)}").AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Excluded episodes: no diagnoses {x.NoDiagnoses:N0}, LOS missing {x.LosMissing:N0}, LOS < 48 h {x.LosTooShort:N0}, no data in period {x.NoDataInPeriod:N0}.").AppendLine();
            counts[$"{name}.excluded.no_diagnoses"] = x.NoDiagnoses;
            counts[$"{name}.excluded.los_too_short"] = x.LosTooShort;
            counts[$"{name}.excluded.no_data"] = x.NoDataInPeriod;
            var labels = CohortStore.LabelNames(task);
            sb.AppendLine("| label | train | val | test | all |").AppendLine("|---|---:|---:|---:|---:|");
            var splitsOrder = new[] { Split.Train, Split.Validation, Split.Test };
            string Row(string label, Func<TaskSample, bool> pick)
            {
                var per = splitsOrder.Select(s => list.Count(x => x.Split == s && pick(x))).ToArray();
                return $"| {label} | {per[0]:N0} | {per[1]:N0} | {per[2]:N0} | {per.Sum():N0} |";
            }
            sb.AppendLine(Row("samples", _ => true));
            var subj = splitsOrder.Select(s => list.Where(x => x.Split == s).Select(x => x.Episode.Stay.SubjectId).Distinct().Count()).ToArray();
            sb.AppendLine(CultureInfo.InvariantCulture, $"| subjects | {subj[0]:N0} | {subj[1]:N0} | {subj[2]:N0} | {subj.Sum():N0} |");
            sb.AppendLine(Row("with linked CXR", x => x.Image is not null));
            for (int l = 0; l < labels.Count; l++)
            {
                var li = l;
                sb.AppendLine(Row($"positive: {labels[l]}", x => x.Labels[li] == 1));
            }
            foreach (var s in splitsOrder)
            {
                var sn = Splits.Name(s);
                counts[$"{name}.{sn}.samples"] = list.Count(x => x.Split == s);
                counts[$"{name}.{sn}.with_cxr"] = list.Count(x => x.Split == s && x.Image is not null);
                for (int l = 0; l < labels.Count; l++) counts[$"{name}.{sn}.positive.{labels[l]}"] = list.Count(x => x.Split == s && x.Labels[l] == 1);
            }
        }
        return sb.ToString();
    }
}
