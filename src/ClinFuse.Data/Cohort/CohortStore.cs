using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Cohort;

/// <summary>A sample of a task as stored: labels, observation period and the linked image, if any.</summary>
public sealed record CohortSample(
    long StayId, long SubjectId, int Episode, string SeriesFile, Split Split, double PeriodHours, IReadOnlyList<int> Labels,
    string? CxrDicomId, long? CxrStudyId, string? CxrPath, DateTime? CxrStudyTime)
{
    /// <summary>True when a chest X-ray is linked.</summary>
    public bool HasImage => CxrDicomId is not null;
}

/// <summary>One row of an episode: hours since ICU admission and the 17 cells as the reference writes them.</summary>
public sealed record SeriesPoint(double Hours, IReadOnlyList<string?> Values);

/// <summary>
/// The cohort store written by <c>clinfuse extract</c> (layout in docs/cohort-store.md): stays,
/// per-task samples, episode time series in MedFuse's wide form, the cohort subjects' chest X-rays.
/// </summary>
public sealed class CohortStore
{
    /// <summary>File names inside the store.</summary>
    public const string StaysFile = "stays.parquet", SeriesFile = "timeseries.parquet", SeriesIndexFile = "timeseries_index.parquet",
        ImagesFile = "cxr_images.parquet", FlowFile = "cohort_flow.md";

    /// <summary>The samples file of a task.</summary>
    public static string SamplesFile(ClinicalTask task) => $"samples_{ClinicalTasks.ShortName(task)}.parquet";

    /// <summary>Row-group size of timeseries.parquet: small enough to read one group per lookup.</summary>
    public const int SeriesRowGroupRows = 50_000;

    readonly string folder;
    readonly Dictionary<long, SeriesIndexRow> index;
    readonly Dictionary<ClinicalTask, IReadOnlyList<CohortSample>> samples = [];
    readonly Lock cacheLock = new();
    int cachedGroup = -1;
    IList<SeriesRow>? cachedRows;

    CohortStore(string folder, StageManifest manifest, IReadOnlyList<StayRow> stays, Dictionary<long, SeriesIndexRow> index)
    {
        this.folder = folder;
        Manifest = manifest;
        Stays = stays;
        this.index = index;
    }

    /// <summary>The extraction's manifest (inputs, config, counts, timings).</summary>
    public StageManifest Manifest { get; }

    /// <summary>The extraction's recipe.</summary>
    public ExtractConfig Config => Manifest.ConfigAs<ExtractConfig>(folder);

    /// <summary>Every cohort stay.</summary>
    public IReadOnlyList<StayRow> Stays { get; }

    /// <summary>Opens a store folder written by <c>clinfuse extract</c>.</summary>
    public static CohortStore Open(string folder)
    {
        var full = Path.GetFullPath(folder);
        var manifest = StageManifest.TryRead(full);
        if (manifest is null || manifest.Stage != "extract")
            throw new ClinFuseException($"{full} is not a cohort store (no extract manifest.json).", "Pass the --out folder of `clinfuse extract`.");
        var stays = Read<StayRow>(Path.Combine(full, StaysFile)).ToArray();
        var index = Read<SeriesIndexRow>(Path.Combine(full, SeriesIndexFile)).ToDictionary(r => r.StayId);
        return new CohortStore(full, manifest, stays, index);
    }

    static IList<T> Read<T>(string path, int? rowGroup = null) where T : class, new()
    {
        if (!File.Exists(path))
            throw new ClinFuseException($"The cohort store lacks {Path.GetFileName(path)} ({path}).", "Run `clinfuse extract` again into a fresh folder.");
        try
        {
            return ParquetSerializer.DeserializeAsync<T>(path, null, rowGroup).GetAwaiter().GetResult().Data;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new ClinFuseException($"{path} is not a readable cohort-store file: {e.Message}", "Run `clinfuse extract` again into a fresh folder.");
        }
    }

    /// <summary>The samples of <paramref name="task"/>, optionally of one split, in file-name order.</summary>
    public IReadOnlyList<CohortSample> Samples(ClinicalTask task, Split? split = null)
    {
        IReadOnlyList<CohortSample> all;
        lock (samples)
        {
            if (!samples.TryGetValue(task, out all!))
            {
                var path = Path.Combine(folder, SamplesFile(task));
                all = [.. Read<SampleRow>(path).Select(r => new CohortSample(r.StayId, r.SubjectId, r.Episode, r.SeriesFile, Splits.Parse(r.Split, path),
                    r.PeriodLength, r.Labels, r.CxrDicomId, r.CxrStudyId, r.CxrPath, r.CxrStudyTime))];
                samples[task] = all;
            }
        }
        return split is null ? all : [.. all.Where(s => s.Split == split)];
    }

    /// <summary>True when the store was extracted with MIMIC-CXR-JPG metadata.</summary>
    public bool HasImages => File.Exists(Path.Combine(folder, ImagesFile));

    /// <summary>Every chest X-ray of the cohort's subjects (all views) with its subject's split; empty without MIMIC-CXR.</summary>
    public IReadOnlyList<CxrImageRow> Images() =>
        HasImages ? [.. Read<CxrImageRow>(Path.Combine(folder, ImagesFile))] : [];

    /// <summary>The label names of a task, in label-vector order.</summary>
    public static IReadOnlyList<string> LabelNames(ClinicalTask task) =>
        task == ClinicalTask.InHospitalMortality ? ["y_true"] : ExtractionResources.PhenotypeLabels;

    /// <summary>The 17 variable names of the series columns.</summary>
    public static IReadOnlyList<string> Variables => ExtractionResources.Variables;

    /// <summary>All rows of a stay's episode (unfiltered, hours order).</summary>
    public IReadOnlyList<SeriesPoint> Episode(long stayId)
    {
        if (!index.TryGetValue(stayId, out var at))
            throw new ClinFuseException($"Stay {stayId} has no episode in the cohort store {folder}.", "Use a stay id from the store's samples.");
        IList<SeriesRow> rows;
        lock (cacheLock)
        {
            if (cachedGroup != at.RowGroup)
            {
                cachedRows = Read<SeriesRow>(Path.Combine(folder, SeriesFile), at.RowGroup);
                cachedGroup = at.RowGroup;
            }
            rows = cachedRows!;
        }
        var result = new SeriesPoint[at.RowCount];
        for (int i = 0; i < at.RowCount; i++)
        {
            var r = rows[at.FirstRow + i];
            result[i] = new SeriesPoint(r.Hours, r.Cells());
        }
        return result;
    }

    /// <summary>The rows of a sample's observation period (−1e-6 &lt; hours &lt; period + 1e-6), as the task files hold them.</summary>
    public IReadOnlyList<SeriesPoint> Series(CohortSample sample) =>
        [.. Episode(sample.StayId).Where(p => TaskBuilder.InPeriod(p.Hours, sample.PeriodHours))];

    /// <summary>Writes the Parquet files of a store into <paramref name="folder"/> (manifest excluded).</summary>
    public static async Task WriteAsync(string folder, IReadOnlyList<StayRow> stays, IReadOnlyList<Episode> episodes,
        IReadOnlyDictionary<ClinicalTask, IReadOnlyList<SampleRow>> taskSamples, IReadOnlyList<CxrImageRow>? images, CancellationToken ct)
    {
        await ParquetSerializer.SerializeAsync(stays, Path.Combine(folder, StaysFile), cancellationToken: ct);
        foreach (var (task, rows) in taskSamples)
            await ParquetSerializer.SerializeAsync(rows, Path.Combine(folder, SamplesFile(task)), cancellationToken: ct);
        if (images is not null)
            await ParquetSerializer.SerializeAsync(images, Path.Combine(folder, ImagesFile), cancellationToken: ct);

        var indexRows = await WriteSeriesAsync(Path.Combine(folder, SeriesFile), episodes, ct);
        await ParquetSerializer.SerializeAsync(indexRows, Path.Combine(folder, SeriesIndexFile), cancellationToken: ct);
    }

    // The series table is the big one: written column by column (the reflection serializer is several
    // times slower here), in row groups of whole episodes so a lookup reads one group.
    static async Task<List<SeriesIndexRow>> WriteSeriesAsync(string path, IReadOnlyList<Episode> episodes, CancellationToken ct)
    {
        var variables = ExtractionResources.Variables;
        var stayField = new DataField<long>("stay_id");
        var hoursField = new DataField<double>("Hours");
        var valueFields = variables.Select(v => new DataField<string>(v, true)).ToArray();
        var schema = new ParquetSchema([stayField, hoursField, .. valueFields]);
        var indexRows = new List<SeriesIndexRow>(episodes.Count);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: ct);
        var ordered = episodes.OrderBy(e => e.Stay.StayId).ToList();
        var group = 0;
        for (int start = 0; start < ordered.Count;)
        {
            var end = start;
            var rows = 0;
            while (end < ordered.Count && (rows == 0 || rows + ordered[end].Rows.Count <= SeriesRowGroupRows)) rows += ordered[end++].Rows.Count;
            var stays = new long[rows];
            var hours = new double[rows];
            var cells = valueFields.Select(_ => new string?[rows]).ToArray();
            var at = 0;
            for (int e = start; e < end; e++)
            {
                var episode = ordered[e];
                indexRows.Add(new SeriesIndexRow { StayId = episode.Stay.StayId, RowGroup = group, FirstRow = at, RowCount = episode.Rows.Count });
                foreach (var r in episode.Rows)
                {
                    stays[at] = episode.Stay.StayId;
                    hours[at] = r.Hours;
                    for (int v = 0; v < cells.Length; v++) cells[v][at] = r.Cells[v];
                    at++;
                }
            }
            using (var rowGroup = writer.CreateRowGroup())
            {
                await rowGroup.WriteAsync<long>(stayField, stays, cancellationToken: ct);
                await rowGroup.WriteAsync<double>(hoursField, hours, cancellationToken: ct);
                for (int v = 0; v < cells.Length; v++) await rowGroup.WriteAsync(valueFields[v], cells[v]!);
            }
            group++;
            start = end;
        }
        return indexRows;
    }
}
