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

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes manifest.json into <paramref name="folder"/>.</summary>
    public void Write(string folder) =>
        File.WriteAllText(System.IO.Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

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

    /// <summary>Describes a file by size and SHA-256 (streamed; fine for multi-GB files).</summary>
    public static InputFile Describe(string path, string? relativeTo = null)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        var shown = relativeTo is null ? path : System.IO.Path.GetRelativePath(relativeTo, path);
        return new InputFile(shown, stream.Length, hash);
    }
}
