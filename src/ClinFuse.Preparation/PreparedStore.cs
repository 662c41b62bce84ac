using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.Images;
using System.Text.Json.Serialization;
using ClinFuse.Preparation.Images;

namespace ClinFuse.Preparation;

/// <summary>The task of a prepared store as <c>labels.json</c> names it.</summary>
/// <param name="Task">The task's full name (<see cref="ClinicalTasks.Name"/>).</param>
/// <param name="Labels">Output names, in split-file order.</param>
public sealed record LabelSet(string Task, IReadOnlyList<string> Labels)
{
    /// <summary>The task <see cref="Task"/> names.</summary>
    [JsonIgnore]
    public ClinicalTask ClinicalTask => ClinicalTasks.Parse(Task, PreparedStore.LabelsFile);
}

/// <summary>The <c>prepare</c> stage's recipe as its manifest.json records it (<see cref="StageManifest.ConfigAs{T}"/>).</summary>
/// <param name="Task">The task's full name (<see cref="ClinicalTasks.Name"/>).</param>
/// <param name="Cohort">The cohort store read (absolute); noisy series are rebuilt from it.</param>
/// <param name="CxrRoot">The MIMIC-CXR-JPG folder the images were read from; null for a series-only store.</param>
/// <param name="Images">The offline image preprocessing (CLAHE, sizes).</param>
/// <param name="Normalizer">The <c>NormalizerSource</c> name.</param>
/// <param name="Radiology">Whether the radiology pre-training set was prepared (recorded only when true).</param>
public sealed record PrepareConfig(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("cohort")] string Cohort,
    [property: JsonPropertyName("cxr_root")] string? CxrRoot,
    [property: JsonPropertyName("images")] ImagePreprocessing Images,
    [property: JsonPropertyName("normalizer")] string Normalizer,
    [property: JsonPropertyName("radiology"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Radiology = false);

/// <summary>Opens the image cache of one split of a store, or returns null when the store has none.</summary>
public delegate IImageSource? ImageCacheOpener(string storeFolder, Split split);

/// <summary>
/// The folder <c>clinfuse prepare</c> writes and the training commands read:
/// <c>labels.json</c> (task and label names), <c>train.split</c> / <c>val.split</c> / <c>test.split</c>
/// (<see cref="PreparedSplit"/> files), optionally <c>normalizer.json</c> (recorded in checkpoints)
/// and an image cache whose reader is supplied by the caller.
/// </summary>
public sealed class PreparedStore
{
    /// <summary>Label file name.</summary>
    public const string LabelsFile = "labels.json";
    /// <summary>Image cache file name (as <c>prepare</c> writes it).</summary>
    public const string ImageCacheFile = "images.cache";
    /// <summary>Normalizer file name.</summary>
    public const string NormalizerFile = "normalizer.json";
    /// <summary>Label names of the radiology pre-training set (<c>prepare --radiology</c>).</summary>
    public const string RadiologyLabelsFile = "radiology.json";
    /// <summary>Which chest X-ray each radiology sample is.</summary>
    public const string RadiologyImagesFile = "radiology_images.csv";

    /// <summary>Image preprocessing problems found by <c>prepare</c>.</summary>
    public const string ImageProblemsFile = "image_problems.csv";

    /// <summary>The file name of a split's samples ("train.split"), or of its radiology set ("radiology-train.split").</summary>
    public static string SplitFile(Split split, bool radiology = false) => SplitStem(split, radiology) + ".split";

    /// <summary>The name of a split's file without extension ("train", "radiology-train"), as manifests count it.</summary>
    public static string SplitStem(Split split, bool radiology = false) => (radiology ? "radiology-" : "") + Splits.Name(split);

    readonly ImageCacheOpener? openImages;

    PreparedStore(string folder, LabelSet labels, ImageCacheOpener? openImages)
    {
        Folder = folder;
        Labels = labels;
        this.openImages = openImages;
    }

    /// <summary>The store folder.</summary>
    public string Folder { get; }

    /// <summary>Task and label names.</summary>
    public LabelSet Labels { get; }

    /// <summary>The recipe <c>prepare</c> recorded in the store's manifest.json; null for a store without one.</summary>
    public PrepareConfig? Recipe => StageManifest.TryRead(Folder)?.ConfigAs<PrepareConfig>(Folder);

    /// <summary>Whether the store has an image cache.</summary>
    public bool HasImages => File.Exists(Path.Combine(Folder, ImageCacheFile));

    /// <summary>Path of a split file.</summary>
    public string SplitPath(Split split, bool radiology = false) => Path.Combine(Folder, SplitFile(split, radiology));

    /// <summary>
    /// Opens a store; a missing or malformed labels.json is reported with its path. Images come from
    /// <paramref name="openImages"/>, by default the store's own images.cache.
    /// </summary>
    public static PreparedStore Open(string folder, ImageCacheOpener? openImages = null)
    {
        if (!Directory.Exists(folder))
            throw new ClinFuseException($"Prepared store not found: {folder}", "Run `clinfuse prepare` first and pass its --out folder as --data.");
        var path = Path.Combine(folder, LabelsFile);
        if (!File.Exists(path))
            throw new ClinFuseException($"{folder} is not a prepared store: {LabelsFile} is missing.", "Pass the output folder of `clinfuse prepare` as --data.");
        LabelSet? labels;
        try { labels = JsonSerializer.Deserialize<LabelSet>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web)); }
        catch (JsonException e) { throw new ClinFuseException($"{path} is not valid JSON: {e.Message}", "Rerun `clinfuse prepare` with --force."); }
        if (labels?.Task is null || labels.Labels is null || labels.Labels.Count == 0)
            throw new ClinFuseException($"{path} must hold \"task\" and a non-empty \"labels\" array.", "Rerun `clinfuse prepare` with --force.");
        _ = labels.ClinicalTask;
        return new PreparedStore(Path.GetFullPath(folder), labels, openImages ?? ((store, _) => CachedImageSource.OpenForStore(store)));
    }

    /// <summary>Opens a split and checks it against labels.json.</summary>
    public PreparedSplit OpenSplit(Split split) => OpenChecked(split, false, Labels.Labels.Count, LabelsFile);

    /// <summary>The 14 CheXpert label names of the radiology set; fails when the store was prepared without <c>--radiology</c>.</summary>
    public IReadOnlyList<string> RadiologyLabels
    {
        get
        {
            var path = Path.Combine(Folder, RadiologyLabelsFile);
            if (!File.Exists(path))
                throw new ClinFuseException($"{Folder} has no radiology pre-training set ({RadiologyLabelsFile} is missing).",
                    "Prepare the store with `clinfuse prepare --radiology` (it needs MIMIC-CXR-JPG's CheXpert labels table).");
            try
            {
                var names = JsonNode.Parse(File.ReadAllText(path))?["labels"]?.AsArray().Select(n => n!.GetValue<string>()).ToArray();
                if (names is { Length: > 0 }) return names;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { }
            throw new ClinFuseException($"{path} must hold a non-empty \"labels\" array of names.", "Rerun `clinfuse prepare --radiology` with --force.");
        }
    }

    /// <summary>Opens the radiology set of a cohort split and checks it against radiology.json.</summary>
    public PreparedSplit OpenRadiologySplit(Split split) => OpenChecked(split, true, RadiologyLabels.Count, RadiologyLabelsFile);

    PreparedSplit OpenChecked(Split split, bool radiology, int labels, string labelsFile)
    {
        // prepare records each file's size and SHA-256: a split changed since then is refused before it is read.
        if (StageManifest.TryRead(Folder)?.FindDamage(Folder, SplitFile(split, radiology)) is { } damage)
            throw new ClinFuseException($"The prepared store {Folder} is damaged: {damage}.", "Run `clinfuse prepare` again with the same options (it rebuilds a damaged store).");
        var path = SplitPath(split, radiology);
        var opened = PreparedSplit.Open(path);
        if (opened.LabelCount != labels)
        {
            opened.Dispose();
            throw new ClinFuseException($"{path} has {opened.LabelCount} labels but {labelsFile} names {labels}.", "Rerun `clinfuse prepare` with --force.");
        }
        return opened;
    }

    /// <summary>The image cache of a split; a run that needs images and finds none is told so.</summary>
    public IImageSource Images(Split split) =>
        openImages?.Invoke(Folder, split)
        ?? throw new ClinFuseException($"{Folder} has no image cache for the '{Splits.Name(split)}' split.",
            "Prepare the store with the chest X-ray folder, or train a series-only model (pretrain --encoder ehr, train --model ehr-only).");

    /// <summary>Sizes and SHA-256 of the files a run reads (labels, the splits' files, the normalizer when present).</summary>
    public JsonObject Provenance(params string[] splitFiles)
    {
        var files = new JsonArray();
        foreach (var path in new[] { LabelsFile }.Concat(splitFiles).Select(f => Path.Combine(Folder, f)))
            files.Add(Describe(path));
        var normalizer = Path.Combine(Folder, NormalizerFile);
        // The image cache can be gigabytes: prepare's manifest already holds its size and SHA-256.
        var images = StageManifest.TryRead(Folder)?.Outputs.FirstOrDefault(o => o.Path == ImageCacheFile);
        return new JsonObject
        {
            ["data"] = Folder,
            ["task"] = Labels.Task,
            ["files"] = files,
            ["normalizer"] = File.Exists(normalizer) ? Describe(normalizer) : null,
            ["images"] = images is null ? null : new JsonObject { ["path"] = Path.Combine(Folder, images.Path), ["bytes"] = images.Bytes, ["sha256"] = images.Sha256 },
        };
    }

    /// <summary>
    /// Compares the store with <paramref name="recorded"/> (a run's <see cref="Provenance"/>): returns
    /// the first file that is missing or differs from the one the run read, or null when all match.
    /// </summary>
    public string? ChangeSince(JsonNode? recorded)
    {
        if (recorded is null) return null;
        var current = Provenance();
        var entries = (recorded["files"]?.AsArray() ?? []).Append(recorded["normalizer"]).Append(recorded["images"]);
        foreach (var entry in entries)
        {
            var name = entry?["path"]?.GetValue<string>() is { } p ? Path.GetFileName(p) : null;
            var sha = entry?["sha256"]?.GetValue<string>();
            if (name is null || sha is null) continue;
            var path = Path.Combine(Folder, name);
            string? now = name == ImageCacheFile ? current["images"]?["sha256"]?.GetValue<string>()
                : File.Exists(path) ? StageManifest.Describe(path).Sha256 : null;
            if (now is null) return $"{path} is missing";
            if (now != sha) return $"{path} is not the file the run was trained with (SHA-256 differs)";
        }
        return null;
    }

    static JsonObject Describe(string path)
    {
        var file = StageManifest.Describe(path);
        return new JsonObject { ["path"] = file.Path, ["bytes"] = file.Bytes, ["sha256"] = file.Sha256 };
    }
}
