using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Core.Runs;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Training.Runs;

/// <summary>One epoch's numbers (a row of curves.csv).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches (NaN when the epoch validated only).</param>
/// <param name="ValLoss">Mean validation loss over batches.</param>
/// <param name="ValAuroc">Validation macro AUROC.</param>
/// <param name="ValAuprc">Validation macro average precision.</param>
/// <param name="LearningRate">Network learning rate used for the epoch's training.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="SamplesPerSecond">Training throughput.</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValLoss, double ValAuroc, double ValAuprc, double LearningRate, double Seconds, double SamplesPerSecond);

/// <summary>Where a run stands after an epoch; everything besides the weights and optimizer moments that resume needs.</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="BestScore">Best monitored validation score so far (−∞ before any).</param>
/// <param name="BestEpoch">Epoch whose weights are in the best checkpoint, 0 if none.</param>
/// <param name="EpochsWithoutImprovement">Early-stopping counter.</param>
/// <param name="Scheduler">Learning-rate scheduler state.</param>
/// <param name="History">Every completed epoch.</param>
/// <param name="Finished">True once the run ended (all epochs or early stop) and the best weights were chosen.</param>
public sealed record TrainerState(int Epoch, double BestScore, int BestEpoch, int EpochsWithoutImprovement, PlateauState? Scheduler, IReadOnlyList<EpochRecord> History, bool Finished)
{
    /// <summary>A run that has not started.</summary>
    public static TrainerState Initial { get; } = new(0, double.NegativeInfinity, 0, 0, null, [], false);
}

/// <summary>A pre-trained encoder a run started from, as config.json records it.</summary>
/// <param name="Prefix">The parameter prefix loaded ("" for every tensor).</param>
/// <param name="Checkpoint">The checkpoint's path.</param>
public sealed record RecordedEncoder([property: JsonPropertyName("prefix")] string Prefix, [property: JsonPropertyName("checkpoint")] string Checkpoint);

/// <summary>
/// A run folder's <c>config.json</c>: the effective configuration, the network architecture, labels,
/// seed, threads, sample counts, encoders, data provenance, and either the training phase (a baseline's
/// first phase) or what the run is (<see cref="ModelDescriptor"/>).
/// </summary>
public sealed record RunDocument
{
    [JsonPropertyName("config")] public required TrainingConfig Config { get; init; }
    [JsonPropertyName("model")] public JsonNode? Architecture { get; init; }
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }
    [JsonPropertyName("seed")] public required ulong Seed { get; init; }
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("train_samples")] public int TrainSamples { get; init; }
    [JsonPropertyName("validation_samples")] public int ValidationSamples { get; init; }
    [JsonPropertyName("encoders")] public IReadOnlyList<RecordedEncoder> Encoders { get; init; } = [];
    /// <summary>The store files the run read (<c>PreparedStore.Provenance</c>); <c>data</c> names the store.</summary>
    [JsonPropertyName("provenance")] public JsonObject Provenance { get; init; } = [];
    [JsonPropertyName("phase"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Phase { get; init; }
    [JsonPropertyName(ModelDescriptor.ConfigKey), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ModelDescriptor? Descriptor { get; init; }

    /// <summary>The prepared store the run read.</summary>
    [JsonIgnore]
    public string? StoreFolder => Provenance["data"]?.GetValue<string>();

    /// <summary>The JSON form (enum names as strings; unknown properties refused when read).</summary>
    public static JsonSerializerOptions Json { get; } = TrainingConfig.Json;

    /// <summary>The document as a JSON tree (for comparing a resumed run's settings).</summary>
    public JsonObject ToNode() => JsonSerializer.SerializeToNode(this, Json)!.AsObject();
}

/// <summary>
/// The files of a run folder. Each file is replaced atomically (temporary name, then rename), and
/// <c>state.json</c> is written last after every epoch, so an interrupted run resumes from the last
/// completed epoch.
/// </summary>
public sealed class RunFolder
{
    static readonly JsonSerializerOptions StateJson = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>File names inside a run folder.</summary>
    public const string ConfigFileName = "config.json", BestWeightsFileName = "best.safetensors", LastWeightsFileName = "last.safetensors",
        LastOptimizerFileName = "last.optimizer", StateFileName = "state.json", CurvesCsvFileName = "curves.csv", CurvesJsonFileName = "curves.json";

    /// <summary>The sub-folder of a paper baseline's first training phase (contrastive pre-training; CARD's prior).</summary>
    public const string PretrainPhaseFolder = "pretrain";

    RunFolder(string path) => Path = path;

    /// <summary>The layout of the run folder <paramref name="path"/>, which need not exist.</summary>
    public static RunFolder At(string path) => new(System.IO.Path.GetFullPath(path));

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Effective configuration, data provenance and seed.</summary>
    public string ConfigFile => Combine(ConfigFileName);
    /// <summary>Best weights (its sidecar is best.json).</summary>
    public string BestWeights => Combine(BestWeightsFileName);
    /// <summary>Weights after the last completed epoch.</summary>
    public string LastWeights => Combine(LastWeightsFileName);
    /// <summary>Adam moments after the last completed epoch.</summary>
    public string LastOptimizer => Combine(LastOptimizerFileName);
    /// <summary>Trainer state after the last completed epoch.</summary>
    public string StateFile => Combine(StateFileName);
    /// <summary>Per-epoch curves, CSV.</summary>
    public string CurvesCsv => Combine(CurvesCsvFileName);
    /// <summary>Per-epoch curves, JSON.</summary>
    public string CurvesJson => Combine(CurvesJsonFileName);
    /// <summary>The run folder of a paper baseline's first training phase.</summary>
    public RunFolder PretrainPhase => new(Combine(PretrainPhaseFolder));

    string Combine(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Starts a new run in <paramref name="path"/>; a non-empty folder needs <paramref name="force"/> (its
    /// contents are then removed). Entries named in <paramref name="keep"/> (an earlier phase of the same
    /// run) neither count nor are removed.
    /// </summary>
    public static RunFolder Create(string path, bool force, IReadOnlyCollection<string>? keep = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full))
            throw new ClinFuseException($"The run folder {full} is a file.", "Choose another --out.");
        var existing = Directory.Exists(full)
            ? Directory.EnumerateFileSystemEntries(full).Where(e => keep is null || !keep.Contains(System.IO.Path.GetFileName(e))).ToList()
            : [];
        if (existing.Count > 0)
        {
            if (!force)
                throw new ClinFuseException($"The run folder {full} is not empty.", "Choose another --out, add --resume to continue that run, or --force to start over.");
            foreach (var entry in existing)
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
        }
        Directory.CreateDirectory(full);
        return new RunFolder(full);
    }

    /// <summary>Opens an interrupted run for resuming.</summary>
    public static RunFolder OpenForResume(string path)
    {
        var folder = new RunFolder(System.IO.Path.GetFullPath(path));
        if (!File.Exists(folder.ConfigFile) || !File.Exists(folder.StateFile))
            throw new ClinFuseException($"{folder.Path} holds no resumable run (config.json or state.json missing).", "Start the run without --resume.");
        return folder;
    }

    /// <summary>
    /// The first setting in which two configuration documents differ, as
    /// "<c>config.LearningRate</c> is 0.01 in the run, 0.001 in this command" (null when equal).
    /// </summary>
    public static string? FirstDifference(JsonNode? saved, JsonNode? wanted, string path = "")
    {
        if (JsonNode.DeepEquals(saved, wanted)) return null;
        if (saved is JsonObject a && wanted is JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
                if (FirstDifference(a[key], b[key], path.Length == 0 ? key : $"{path}.{key}") is { } inner) return inner;
        }
        else if (saved is JsonArray x && wanted is JsonArray y && x.Count == y.Count)
        {
            for (int i = 0; i < x.Count; i++)
                if (FirstDifference(x[i], y[i], $"{path}[{i}]") is { } inner) return inner;
        }
        static string Show(JsonNode? n) => n is null ? "absent" : n.ToJsonString() is { Length: <= 80 } s ? s : "another value";
        return $"{(path.Length == 0 ? "the document" : path)} is {Show(saved)} in the run, {Show(wanted)} in this command";
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAtomically(string path, string text)
    {
        AtomicFile.WriteAllText(path, text);
    }

    /// <summary>Saves the effective configuration document.</summary>
    public void WriteConfig(RunDocument document) => WriteAtomically(ConfigFile, document.ToNode().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The saved configuration document, typed; a missing or malformed one is a <see cref="ClinFuseException"/> naming it.</summary>
    public RunDocument ReadDocument()
    {
        try
        {
            return JsonSerializer.Deserialize<RunDocument>(File.ReadAllText(ConfigFile), RunDocument.Json) ?? throw new JsonException("the document is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException or NotSupportedException)
        {
            throw new ClinFuseException($"{ConfigFile} is not a valid run configuration: {e.Message}", "The file is written by the training commands; restore it or train again.");
        }
    }

    /// <summary>The saved configuration document.</summary>
    public JsonObject ReadConfig() => JsonNode.Parse(File.ReadAllText(ConfigFile))?.AsObject()
                                      ?? throw new ClinFuseException($"{ConfigFile} is empty.", "Start the run again without --resume.");

    /// <summary>Saves the trainer state and the curves.</summary>
    public void WriteState(TrainerState state)
    {
        WriteCurves(state.History);
        WriteAtomically(StateFile, JsonSerializer.Serialize(state, StateJson));
    }

    /// <summary>The trainer state of the last completed epoch.</summary>
    public TrainerState ReadState()
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(StateFile), StateJson) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{StateFile} is unreadable: {e.Message}", "Start the run again without --resume.");
        }
    }

    void WriteCurves(IReadOnlyList<EpochRecord> history)
    {
        var csv = new StringBuilder("epoch,train_loss,val_loss,val_auroc,val_auprc,lr,seconds,samples_per_s\n");
        foreach (var e in history)
            csv.AppendLine(string.Join(',', e.Epoch.ToString(CultureInfo.InvariantCulture),
                Num(e.TrainLoss), Num(e.ValLoss), Num(e.ValAuroc), Num(e.ValAuprc), Num(e.LearningRate), Num(e.Seconds), Num(e.SamplesPerSecond)));
        WriteAtomically(CurvesCsv, csv.ToString());
        WriteAtomically(CurvesJson, JsonSerializer.Serialize(history, StateJson));
    }

    static string Num(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
}
