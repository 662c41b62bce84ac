using System.Diagnostics;
using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Mimic;
using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Preparation;

/// <summary>Where the normaliser's statistics come from.</summary>
public enum NormalizerSource
{
    /// <summary>Fitted on the training split of this cohort (default).</summary>
    FitTraining,
    /// <summary>The reference's published statistics (MedFuse parity).</summary>
    Reference,
}

/// <summary>Settings of <c>clinfuse prepare</c>.</summary>
/// <param name="CohortFolder">The cohort store written by <c>clinfuse extract</c>.</param>
/// <param name="Task">Which task's samples to prepare.</param>
/// <param name="OutputFolder">The prepared store to write.</param>
/// <param name="CxrRoot">The MIMIC-CXR-JPG folder the cohort's image paths are relative to; null means the folder the extraction read (none: series only).</param>
/// <param name="Images">Offline image preprocessing (CLAHE on or off, sizes).</param>
/// <param name="Normalizer">Normaliser statistics to use.</param>
/// <param name="Force">Replace a non-empty output folder.</param>
/// <param name="Radiology">
/// Also prepare the radiology pre-training set: every chest X-ray of the cohort's subjects whose study
/// has CheXpert labels (<c>mimic-cxr-2.0.0-chexpert.csv</c>), with its subject's split and 14 targets.
/// </param>
public sealed record PrepareOptions(
    string CohortFolder, ClinicalTask Task, string OutputFolder, string? CxrRoot, ImagePreprocessing Images,
    NormalizerSource Normalizer = NormalizerSource.FitTraining, bool Force = false, bool Radiology = false);

/// <summary>Counts of one prepared split.</summary>
public sealed record PreparedSplitSummary(string Split, int Samples, int WithImage, int Positives, long Timesteps);

/// <summary>What <c>prepare</c> wrote.</summary>
public sealed record PrepareSummary(string Folder, IReadOnlyList<PreparedSplitSummary> Splits, ImageCacheSummary? Images, bool Skipped);

/// <summary>
/// The <c>prepare</c> stage: a cohort store becomes a prepared store that training reads without
/// touching CSV, Parquet or JPEG again. Per split it writes a <see cref="PreparedSplit"/> of
/// discretised (76 features per hour) and normalised series with labels and image slots; one image
/// cache (<see cref="ImageCache"/>) holds every linked chest X-ray after the offline preprocessing.
/// A missing or undecodable image makes its sample series-only and is listed in
/// <c>image_problems.csv</c>; it never stops the stage.
/// </summary>
public static class PrepareStage
{
    /// <summary>Runs the stage; skips it when the output's manifest shows the same inputs and settings.</summary>
    public static PrepareSummary Run(PrepareOptions options, ComputeSettings compute, IStageProgress progress, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var cohortFolder = Path.GetFullPath(options.CohortFolder);
        var cohort = CohortStore.Open(cohortFolder);
        // Images are found where extract read them unless the caller points elsewhere (moved data).
        options = options with { CxrRoot = options.CxrRoot ?? cohort.Config.MimicCxr };
        if (options.CxrRoot is not null && !Directory.Exists(options.CxrRoot))
            throw new ClinFuseException($"The chest X-ray folder {options.CxrRoot} does not exist.", "Pass the MIMIC-CXR-JPG folder (the one holding files/) as --mimic-cxr, or leave it out to prepare series only.");

        var config = StageManifest.ConfigOf(new PrepareConfig(ClinicalTasks.Name(options.Task), cohortFolder,
            options.CxrRoot is null ? null : Path.GetFullPath(options.CxrRoot), options.Images, options.Normalizer.ToString(), options.Radiology));
        var inputs = new[] { StageManifest.Describe(Path.Combine(cohortFolder, StageManifest.FileName)) };
        var wanted = new StageManifest { Stage = "prepare", Config = config, Inputs = inputs };
        var check = StageOutput.Check(options.OutputFolder, wanted, options.Force, progress);
        if (check.UpToDate is not null) return new PrepareSummary(Path.GetFullPath(options.OutputFolder), [], null, Skipped: true);

        if (cohort.Manifest.FindDamage(cohortFolder) is { } cohortDamage)
            throw new ClinFuseException($"The cohort store {cohortFolder} is damaged: {cohortDamage}.", "Run `clinfuse extract` again with the same options (it rebuilds a damaged store).");
        using var output = StageOutput.Begin(options.OutputFolder, check.Replace);
        var task = options.Task;
        var labelNames = CohortStore.LabelNames(task);
        var samplesBySplit = Splits.All.ToDictionary(s => s, s => cohort.Samples(task, s));
        if (samplesBySplit[Split.Train].Count == 0)
            throw new ClinFuseException($"The cohort {cohortFolder} has no training samples for {ClinicalTasks.Name(options.Task)}.", "Check the extraction's cohort flow table (cohort_flow.md).");

        var timings = new Dictionary<string, double>();
        var discretizer = new Discretizer();
        var episodes = ReadEpisodes(cohort, samplesBySplit, discretizer.Config, progress, cancellationToken);
        timings["read_episodes"] = clock.Elapsed.TotalSeconds;
        // Values the discretizer cannot encode (not a number, inf, 1e400, an unknown category) become missing: never silently.
        long invalidValues = episodes.Values.Sum(e => (long)e.IgnoredValueCount);
        if (invalidValues > 0)
            progress.Info($"warning: prepare: {invalidValues:N0} value(s) in {episodes.Values.Count(e => e.IgnoredValueCount > 0):N0} stay(s) are not finite numbers or not known categories; they are treated as missing (counted in manifest.json as series.invalid_values).");

        var normalizer = options.Normalizer == NormalizerSource.Reference
            ? Normalizer.Reference
            : Normalizer.Fit(discretizer, [.. samplesBySplit[Split.Train].Select(s => (episodes[s], EpisodeWindow.EndHours(options.Task, s.PeriodHours)))], compute);
        normalizer.Save(output.PathFor(PreparedStore.NormalizerFile));
        timings["normalizer"] = clock.Elapsed.TotalSeconds - timings["read_episodes"];

        var radiology = options.Radiology ? RadiologyImages(cohort, options, cancellationToken) : null;
        var (slots, imageSummary) = BuildImageCache(options, samplesBySplit, radiology, output, compute, progress, cancellationToken);

        var splitSummaries = new List<PreparedSplitSummary>();
        foreach (var split in Splits.All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var samples = samplesBySplit[split];
            var prepared = new PreparedSample[samples.Count];
            using (var step = progress.Step($"prepare: {Splits.Name(split)} series", samples.Count, "stays"))
            {
                Parallel.For(0, samples.Count, compute.ParallelOptions(cancellationToken), i =>
                {
                    var s = samples[i];
                    var matrix = discretizer.Transform(episodes[s], EpisodeWindow.EndHours(options.Task, s.PeriodHours), normalizer);
                    int slot = s.CxrDicomId is not null && slots.TryGetValue(s.CxrDicomId, out var found) ? found : -1;
                    prepared[i] = new PreparedSample(s.StayId, matrix.Values, [.. s.Labels.Select(v => (float)v)], slot);
                    step.Advance();
                });
            }
            PreparedSplit.Write(output.PathFor(PreparedStore.SplitFile(split)), discretizer.ColumnCount, labelNames.Count, prepared);
            splitSummaries.Add(new PreparedSplitSummary(PreparedStore.SplitStem(split), prepared.Length, prepared.Count(p => p.ImageSlot >= 0),
                prepared.Count(p => p.Labels.Any(v => v > 0)), prepared.Sum(p => (long)p.Series.Length / discretizer.ColumnCount)));
        }
        if (radiology is not null)
            foreach (var (split, images) in WriteRadiology(output, radiology, slots, discretizer.ColumnCount))
                splitSummaries.Add(new PreparedSplitSummary(PreparedStore.SplitStem(split, radiology: true), images.Samples, images.WithImage, images.Positives, images.Samples));
        timings["total"] = clock.Elapsed.TotalSeconds;

        File.WriteAllText(output.PathFor(PreparedStore.LabelsFile), JsonSerializer.Serialize(new { task = ClinicalTasks.Name(options.Task), labels = labelNames }));
        var counts = new Dictionary<string, long> { ["series.invalid_values"] = invalidValues };
        foreach (var s in splitSummaries)
        {
            counts[$"{s.Split}.samples"] = s.Samples;
            counts[$"{s.Split}.with_image"] = s.WithImage;
            counts[$"{s.Split}.timesteps"] = s.Timesteps;
        }
        if (imageSummary is not null)
        {
            counts["images.present"] = imageSummary.Present;
            counts["images.missing"] = imageSummary.Missing;
            counts["images.corrupt"] = imageSummary.Corrupt;
        }
        (wanted with { Counts = counts, TimingsSeconds = timings }).WithOutputs(output.Path).Write(output.Path);
        output.Commit();
        return new PrepareSummary(output.FinalPath, splitSummaries, imageSummary, Skipped: false);
    }

    /// <summary>Reads every sample's episode once, in store order (the store serves episodes by row group).</summary>
    public static Dictionary<CohortSample, SeriesEpisode> ReadEpisodes(CohortStore cohort, Dictionary<Split, IReadOnlyList<CohortSample>> samplesBySplit,
        DiscretizerConfig config, IStageProgress progress, CancellationToken cancellationToken)
    {
        var all = samplesBySplit.Values.SelectMany(s => s).ToList();
        var episodes = new Dictionary<CohortSample, SeriesEpisode>(all.Count, ReferenceEqualityComparer.Instance);
        using var step = progress.Step("prepare: read episodes", all.Count, "stays");
        foreach (var sample in all)
        {
            cancellationToken.ThrowIfCancellationRequested();
            episodes[sample] = ReadEpisode(cohort, sample, config);
            step.Advance();
        }
        return episodes;
    }

    /// <summary>
    /// The observation period of one sample as the discretizer reads it: unparseable cells are
    /// treated as missing, as for training.
    /// </summary>
    public static SeriesEpisode ReadEpisode(CohortStore cohort, CohortSample sample, DiscretizerConfig config)
    {
        var observations = new List<SeriesObservation>();
        foreach (var point in cohort.Series(sample))
            for (int ch = 0; ch < point.Values.Count; ch++)
                if (!string.IsNullOrEmpty(point.Values[ch])) observations.Add(new SeriesObservation(point.Hours, ch, point.Values[ch]!));
        return SeriesEpisode.FromObservations(observations, config, InvalidValuePolicy.TreatAsMissing, $"stay {sample.StayId}");
    }

    /// <summary>A chest X-ray of the radiology pre-training set with its 14 CheXpert targets.</summary>
    sealed record RadiologyImage(CxrImageRow Image, float[] Targets);

    /// <summary>The cohort subjects' images whose study has CheXpert labels, by split then dicom id.</summary>
    static List<RadiologyImage> RadiologyImages(CohortStore cohort, PrepareOptions options, CancellationToken cancellationToken)
    {
        if (options.CxrRoot is null || !cohort.HasImages)
            throw new ClinFuseException("--radiology needs chest X-rays, but this cohort was extracted without MIMIC-CXR-JPG.",
                "Extract with --mimic-cxr, or pass the folder to prepare with --mimic-cxr.");
        var table = ChexpertLabels.Find(options.CxrRoot)
            ?? throw new ClinFuseException($"--radiology: {options.CxrRoot} has no {ChexpertLabels.TableName}.csv[.gz].",
                "Download the CheXpert labels table of MIMIC-CXR-JPG 2.0.0 into that folder, or prepare without --radiology.");
        var labels = ChexpertLabels.Read(table, cancellationToken);
        var images = cohort.Images()
            .Where(i => labels.ContainsKey(i.StudyId))
            .OrderBy(i => Splits.Parse(i.Split, CohortStore.ImagesFile)).ThenBy(i => i.DicomId, StringComparer.Ordinal)
            .Select(i => new RadiologyImage(i, labels[i.StudyId]))
            .ToList();
        if (!images.Any(i => i.Image.Split == Splits.Name(Split.Train)))
            throw new ClinFuseException($"--radiology: no chest X-ray of a training subject has CheXpert labels in {table}.",
                "Check that the labels table belongs to this MIMIC-CXR-JPG folder.");
        return images;
    }

    /// <summary>
    /// Writes one radiology split per cohort split (a one-hour zero series stands in for the absent
    /// EHR, as MedFuse's radiology mode does), the label names, and the sample-id → image table.
    /// Images that could not be cached are left out. Returns per split: samples, with image, with any positive.
    /// </summary>
    static IEnumerable<(Split Split, (int Samples, int WithImage, int Positives) Counts)> WriteRadiology(
        StageOutput output, List<RadiologyImage> radiology, Dictionary<string, int> slots, int features)
    {
        var result = new List<(Split, (int, int, int))>();
        using var table = new StreamWriter(output.PathFor(PreparedStore.RadiologyImagesFile));
        table.WriteLine("sample_id,dicom_id,study_id,subject_id,split,path");
        long id = 0;
        foreach (var split in Splits.All)
        {
            var samples = new List<PreparedSample>();
            foreach (var r in radiology)
            {
                if (r.Image.Split != Splits.Name(split) || !slots.TryGetValue(r.Image.DicomId, out var slot)) continue;
                id++;
                samples.Add(new PreparedSample(id, new float[features], r.Targets, slot));
                table.WriteLine(string.Join(',', id, r.Image.DicomId, r.Image.StudyId, r.Image.SubjectId, r.Image.Split, Csv(r.Image.Path)));
            }
            PreparedSplit.Write(output.PathFor(PreparedStore.SplitFile(split, radiology: true)), features, ChexpertLabels.Names.Count, samples);
            result.Add((split, (samples.Count, samples.Count, samples.Count(s => s.Labels.Any(v => v > 0)))));
        }
        File.WriteAllText(output.PathFor(PreparedStore.RadiologyLabelsFile), JsonSerializer.Serialize(new
        {
            labels = ChexpertLabels.Names,
            policy = "CheXpert labeller: positive (1.0) is 1; negative (0.0), uncertain (-1.0) and not mentioned are 0 (U-Zeros, as MedFuse)",
        }));
        return result;
    }

    static (Dictionary<string, int> Slots, ImageCacheSummary? Summary) BuildImageCache(PrepareOptions options,
        Dictionary<Split, IReadOnlyList<CohortSample>> samplesBySplit, List<RadiologyImage>? radiology, StageOutput output, ComputeSettings compute,
        IStageProgress progress, CancellationToken cancellationToken)
    {
        var slots = new Dictionary<string, int>();
        if (options.CxrRoot is null) return (slots, null);
        var sources = new List<ImageSource>();
        void Add(string dicomId, string path)
        {
            if (!slots.TryAdd(dicomId, sources.Count)) return;
            sources.Add(new ImageSource(dicomId, Path.Combine(options.CxrRoot, path)));
        }
        foreach (var split in Splits.All)
            foreach (var s in samplesBySplit[split])
                if (s.CxrDicomId is not null && s.CxrPath is not null) Add(s.CxrDicomId, s.CxrPath);
        foreach (var r in radiology ?? []) Add(r.Image.DicomId, r.Image.Path);
        ImageCacheSummary summary;
        using (var step = progress.Step("prepare: images", sources.Count, "images"))
        {
            summary = ImageCacheBuilder.Build(output.PathFor(PreparedStore.ImageCacheFile), sources, options.Images, compute, new SynchronousProgress(step), cancellationToken);
        }
        using (var writer = new StreamWriter(output.PathFor(PreparedStore.ImageProblemsFile)))
        {
            writer.WriteLine("dicom_id,path,status,message");
            foreach (var p in summary.Problems)
                writer.WriteLine($"{Csv(p.SampleId)},{Csv(p.Path)},{p.Status},{Csv(p.Message)}");
        }
        // Samples whose image is missing or corrupt lose their slot: they become series-only samples.
        foreach (var p in summary.Problems) slots.Remove(p.SampleId);
        if (summary.Missing + summary.Corrupt > 0)
            progress.Info($"prepare: {summary.Missing} missing and {summary.Corrupt} unreadable images; those stays are treated as having no image (see {PreparedStore.ImageProblemsFile}).");
        return (slots, summary);
    }

    static string Csv(string value) => value.Contains(',') || value.Contains('"') || value.Contains('\n') ? $"\"{value.Replace("\"", "\"\"")}\"" : value;

    /// <summary>Forwards the builder's running count to a progress step as increments, on the calling thread.</summary>
    sealed class SynchronousProgress(IProgressStep step) : IProgress<long>
    {
        long last;

        public void Report(long value)
        {
            // Counts may arrive out of order from parallel workers: only ever move forward.
            long seen = Volatile.Read(ref last);
            while (value > seen)
            {
                long previous = Interlocked.CompareExchange(ref last, value, seen);
                if (previous == seen)
                {
                    step.Advance(value - seen);
                    return;
                }
                seen = previous;
            }
        }
    }
}
