using ClinFuse.Core.Tasks;
using System.Globalization;
using System.Security.Cryptography;
using ClinFuse.Core;

namespace ClinFuse.Evaluation.Report;

/// <summary>A metrics.json that the report read, with the SHA-256 of its bytes for the provenance section.</summary>
public sealed record MetricsInput(string Path, string Sha256, MetricsResult Metrics);

/// <summary>One robustness evaluation of a run: protocol, noise level in percent, metrics.</summary>
public sealed record RobustnessInput(string Protocol, int Level, MetricsInput Input);

/// <summary>One run folder: its metrics.json and its robustness/&lt;protocol&gt;/&lt;level&gt;/metrics.json files.</summary>
public sealed record RunInput(string Folder, MetricsInput Main, IReadOnlyList<RobustnessInput> Robustness)
{
    /// <summary>Model name of the run ("(unnamed)" when the metrics do not say).</summary>
    public string Model => Main.Metrics.Model ?? "(unnamed)";

    /// <summary>Task of the run, normalised (<see cref="RunFolders.NormalizeTask"/>).</summary>
    public string Task => RunFolders.NormalizeTask(Main.Metrics.Task);
}

/// <summary>The run-folder convention read by <c>clinfuse report</c> (see docs/report.md).</summary>
internal static class RunFolders
{
    /// <summary>The short name of a task spelling (<see cref="ClinicalTasks.ShortName"/>), otherwise the name as given ("unknown" when absent).</summary>
    public static string NormalizeTask(string? task) =>
        ClinicalTasks.TryParse(task) is { } known ? ClinicalTasks.ShortName(known)
        : string.IsNullOrWhiteSpace(task) ? "unknown" : task.Trim().ToLowerInvariant();

    /// <summary>Reads a run folder; a missing or malformed file is a <see cref="ClinFuseException"/> naming it.</summary>
    public static RunInput Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new ClinFuseException($"Run folder not found: {folder}", "Pass folders that hold a metrics.json (written by `clinfuse evaluate --json DIR/metrics.json`).");
        var main = Path.Combine(folder, MetricsJson.FileName);
        if (!File.Exists(main))
            throw new ClinFuseException($"{folder} has no metrics.json.", "Write it with `clinfuse evaluate --predictions FILE --json " + main + "`.");
        var robustness = new List<RobustnessInput>();
        var robustnessRoot = Path.Combine(folder, RobustnessLayout.Folder);
        if (Directory.Exists(robustnessRoot))
        {
            foreach (var protocolDir in Directory.GetDirectories(robustnessRoot).Order(StringComparer.Ordinal))
            {
                var protocol = Path.GetFileName(protocolDir);
                if (!RobustnessLayout.Protocols.Contains(protocol))
                    throw new ClinFuseException($"{protocolDir}: unknown robustness protocol '{protocol}'.", $"Use {string.Join(" or ", RobustnessLayout.Protocols)}.");
                foreach (var levelDir in Directory.GetDirectories(protocolDir))
                {
                    var name = Path.GetFileName(levelDir);
                    if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int level) || level > 100)
                        throw new ClinFuseException($"{levelDir}: the folder name must be the noise level in percent (0-100), got '{name}'.");
                    var file = Path.Combine(levelDir, MetricsJson.FileName);
                    if (!File.Exists(file)) throw new ClinFuseException($"{levelDir} has no metrics.json.");
                    robustness.Add(new RobustnessInput(protocol, level, Read(file)));
                }
            }
        }
        robustness.Sort((a, b) => (a.Protocol, a.Level).CompareTo((b.Protocol, b.Level)));
        return new RunInput(Path.GetFullPath(folder), Read(main), robustness);
    }

    static MetricsInput Read(string path)
    {
        var metrics = MetricsJson.Read(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        return new MetricsInput(Path.GetFullPath(path), hash, metrics);
    }
}
