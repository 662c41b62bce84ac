using System.Text.Encodings.Web;
using System.Text.Json;
using ClinFuse.Core;

namespace ClinFuse.Evaluation;

/// <summary>Reads and writes metrics.json (snake_case keys, undefined values as null).</summary>
public static class MetricsJson
{
    /// <summary>The metrics file of a test-split evaluation, as the report reads it from run and robustness folders.</summary>
    public const string FileName = "metrics.json";

    /// <summary>Serializer settings of every JSON file this library writes.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Label names and rules stay readable (no \u003E for '>'); the files are not embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The JSON text of <paramref name="result"/>.</summary>
    public static string Serialize(MetricsResult result) => JsonSerializer.Serialize(result, Options);

    /// <summary>Writes <paramref name="result"/> atomically.</summary>
    public static void Write(string path, MetricsResult result) => AtomicFile.WriteAllText(path, Serialize(result) + "\n");

    /// <summary>Reads a metrics.json; a missing or malformed file is a <see cref="ClinFuseException"/>.</summary>
    public static MetricsResult Read(string path)
    {
        if (!File.Exists(path)) throw new ClinFuseException($"Metrics file not found: {path}", "Run `clinfuse evaluate --json` to write one.");
        MetricsResult? result;
        try
        {
            result = JsonSerializer.Deserialize<MetricsResult>(File.ReadAllText(path), Options);
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{path}: not a valid metrics file ({e.Message}).", "Rewrite it with `clinfuse evaluate --json`.");
        }
        if (result is null || result.Format != MetricsResult.FormatTag || result.Summary is null || result.PerLabel is null)
            throw new ClinFuseException($"{path}: not a {MetricsResult.FormatTag} metrics file.", "Rewrite it with `clinfuse evaluate --json`.");
        return result;
    }
}
