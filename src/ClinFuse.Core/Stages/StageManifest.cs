using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClinFuse.Core.Stages;

/// <summary>One input file of a stage, identified by content.</summary>
public sealed record InputFile(string Path, long Bytes, string Sha256);

/// <summary>
/// manifest.json of a stage's output folder: what produced it (inputs' hashes, configuration, tool
/// version), what it holds (counts) and how long it took. A stage whose inputs and configuration
/// match an existing manifest can be skipped.
/// </summary>
public sealed record StageManifest
{
    public const string FileName = "manifest.json";

    public required string Stage { get; init; }
    public string ToolVersion { get; init; } = ProductInfo.Version;
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;
    public JsonObject Config { get; init; } = [];
    public IReadOnlyList<InputFile> Inputs { get; init; } = [];
    public IReadOnlyDictionary<string, long> Counts { get; init; } = new Dictionary<string, long>();
    public IReadOnlyDictionary<string, double> TimingsSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// Every file the stage wrote (relative path, size, SHA-256), so that a stage about to skip, and
    /// a later stage about to read, can tell a complete output from a damaged one.
    /// </summary>
    public IReadOnlyList<InputFile> Outputs { get; init; } = [];

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Settings of the typed configuration records: snake_case names come from their [JsonPropertyName] attributes.</summary>
    static readonly JsonSerializerOptions ConfigJson = new() { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    /// <summary>The configuration section of a typed configuration record (the stage's recipe, compared on a rerun).</summary>
    public static JsonObject ConfigOf<T>(T config) => JsonSerializer.SerializeToNode(config, ConfigJson)!.AsObject();

    /// <summary>
    /// <see cref="Config"/> read as the stage's typed configuration record; a manifest that does not fit is a
    /// <see cref="ClinFuseException"/> naming <paramref name="folder"/>.
    /// </summary>
    public T ConfigAs<T>(string folder) where T : class
    {
        try
        {
            return Config.Deserialize<T>(ConfigJson) ?? throw new JsonException("the configuration is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ClinFuseException($"The {Stage} manifest of {folder} has an unreadable configuration: {e.Message}",
                $"Run `clinfuse {Stage}` again into that folder with --force.");
        }
    }

    /// <summary>Writes manifest.json into <paramref name="folder"/>.</summary>
    public void Write(string folder) =>
        AtomicFile.WriteAllText(System.IO.Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads manifest.json from <paramref name="folder"/>, or null when absent or unreadable.</summary>
    public static StageManifest? TryRead(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<StageManifest>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }

    /// <summary>True when this manifest was produced from the same inputs and configuration.</summary>
    public bool SameRecipe(StageManifest other) =>
        Stage == other.Stage && ToolVersion == other.ToolVersion
        && JsonNode.DeepEquals(Config, other.Config)
        && Inputs.SequenceEqual(other.Inputs);

    /// <summary>This manifest with <see cref="Outputs"/> describing every file under <paramref name="folder"/> but the manifest itself.</summary>
    public StageManifest WithOutputs(string folder) => this with
    {
        Outputs = [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => System.IO.Path.GetRelativePath(folder, f) != FileName)
            .Order(StringComparer.Ordinal)
            .Select(f => Describe(f, folder))],
    };

    /// <summary>
    /// Checks the recorded <see cref="Outputs"/> (all of them, or those named in <paramref name="only"/>)
    /// against the files in <paramref name="folder"/>; returns what differs first, or null when all match
    /// (or when nothing was recorded).
    /// </summary>
    public string? FindDamage(string folder, params string[] only)
    {
        foreach (var output in Outputs)
        {
            if (only.Length > 0 && !only.Contains(output.Path)) continue;
            var path = System.IO.Path.Combine(folder, output.Path);
            if (!File.Exists(path)) return $"{path} is missing";
            var length = new FileInfo(path).Length;
            if (length != output.Bytes) return $"{path} has {length:N0} bytes, {output.Bytes:N0} when written";
            if (Describe(path).Sha256 != output.Sha256) return $"{path} has changed since it was written (SHA-256 differs)";
        }
        return null;
    }

    /// <summary>Describes a file by size and SHA-256 (streamed; fine for multi-GB files).</summary>
    public static InputFile Describe(string path, string? relativeTo = null)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        var shown = relativeTo is null ? path : System.IO.Path.GetRelativePath(relativeTo, path);
        return new InputFile(shown, stream.Length, hash);
    }
}
