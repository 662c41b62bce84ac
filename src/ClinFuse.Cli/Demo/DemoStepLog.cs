using System.Security.Cryptography;
using System.Text.Json;
using ClinFuse.Core;

namespace ClinFuse.Cli.Demo;

/// <summary>
/// The record of the demo steps that completed in a working folder (<c>demo-steps.json</c>): each
/// step's command line and the SHA-256 of its done marker. A rerun skips a step only when every step
/// before it was skipped, the same command completed before, and its marker still has the recorded
/// bytes; from the first step that runs, every later step runs again. So a rerun with another seed,
/// size or task, a damaged or replaced output, or a folder from an earlier version redoes the work
/// instead of reporting stale results.
/// </summary>
internal sealed class DemoStepLog
{
    /// <summary>The record's file name in the demo folder.</summary>
    public const string FileName = "demo-steps.json";

    sealed record Entry(string[] Arguments, string Marker, string Sha256);

    readonly string path;
    readonly List<Entry> completed;
    bool broken;

    DemoStepLog(string path, List<Entry> completed) => (this.path, this.completed) = (path, completed);

    /// <summary>Reads the record of <paramref name="root"/>; a missing or unreadable one records nothing.</summary>
    public static DemoStepLog Open(string root)
    {
        var path = Path.Combine(root, FileName);
        List<Entry>? entries = null;
        try
        {
            if (File.Exists(path)) entries = JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(path));
        }
        catch (JsonException) { /* an unreadable record verifies nothing: every step reruns */ }
        return new DemoStepLog(path, entries?.Where(e => e?.Arguments is not null && e.Marker is not null && e.Sha256 is not null).ToList() ?? []);
    }

    /// <summary>Whether step <paramref name="index"/> completed before with the same command and an unchanged marker.</summary>
    public bool IsDone(int index, DemoStep step)
    {
        if (!broken && index < completed.Count && completed[index].Arguments.SequenceEqual(step.Arguments)
            && completed[index].Marker == step.DoneMarker && File.Exists(step.DoneMarker) && Hash(step.DoneMarker) == completed[index].Sha256)
            return true;
        broken = true;
        return false;
    }

    /// <summary>Records step <paramref name="index"/> as completed; the record of any later step is dropped.</summary>
    public void Completed(int index, DemoStep step)
    {
        if (!File.Exists(step.DoneMarker))
            throw new ClinFuseException($"Demo step {index + 1} ({step.Title}) finished without writing {step.DoneMarker}.", "This is a bug in the demo plan; please report it.");
        completed.RemoveRange(index, completed.Count - index);
        completed.Add(new Entry(step.Arguments, step.DoneMarker, Hash(step.DoneMarker)));
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(completed, new JsonSerializerOptions { WriteIndented = true }));
    }

    static string Hash(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
