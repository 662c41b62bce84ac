using System.Text.Json;

namespace ClinFuse.Cli;

/// <summary>JSON settings for everything the command line prints.</summary>
internal static class JsonOptions
{
    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
