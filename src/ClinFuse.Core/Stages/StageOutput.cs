namespace ClinFuse.Core.Stages;

/// <summary>What <see cref="StageOutput.Check"/> decided.</summary>
/// <param name="UpToDate">The existing output's manifest when the stage can skip; null when it must run.</param>
/// <param name="Replace">Whether a run may replace a non-empty output folder.</param>
public sealed record StageCheck(StageManifest? UpToDate, bool Replace);

/// <summary>
/// An output folder that appears only when complete: the stage writes into a sibling temporary
/// folder and <see cref="Commit"/> renames it into place. If the stage fails or is cancelled, the
/// temporary folder is deleted on dispose and any previous output is left untouched.
/// </summary>
public sealed class StageOutput : IDisposable
{
    readonly string finalPath;
    bool committed;

    StageOutput(string finalPath, string workPath)
    {
        this.finalPath = finalPath;
        Path = workPath;
    }

    /// <summary>The folder to write into while the stage runs.</summary>
    public string Path { get; }

    /// <summary>Where the output will be once committed.</summary>
    public string FinalPath => finalPath;

    /// <summary>
    /// The one skip rule of every stage: the existing output of <paramref name="outputDir"/> is kept when
    /// its manifest records the same recipe as <paramref name="wanted"/> (inputs, configuration, tool
    /// version) and every file it recorded is still there, unchanged, and <paramref name="force"/> is not
    /// set. Otherwise the stage runs, and may replace the folder when forced or when the folder holds
    /// this same recipe's damaged output. Says which on <paramref name="progress"/>.
    /// </summary>
    public static StageCheck Check(string outputDir, StageManifest wanted, bool force, IStageProgress progress)
    {
        if (force || StageManifest.TryRead(outputDir) is not { } existing || !existing.SameRecipe(wanted)) return new StageCheck(null, force);
        if (existing.Outputs.Count == 0)
        {
            progress.Info($"{wanted.Stage}: {outputDir} records no output files to verify; running the stage again.");
            return new StageCheck(null, Replace: true);
        }
        if (existing.FindDamage(outputDir) is { } damage)
        {
            progress.Info($"{wanted.Stage}: {outputDir} was written with the same inputs and settings, but {damage}; running the stage again.");
            return new StageCheck(null, Replace: true);
        }
        progress.Info($"{wanted.Stage}: {outputDir} is up to date (same inputs and settings, every output verified); skipped.");
        return new StageCheck(existing, Replace: false);
    }

    /// <summary>
    /// Prepares to write <paramref name="outputDir"/>. Refuses a non-empty existing folder unless
    /// <paramref name="force"/> is set (then it is replaced only at commit).
    /// </summary>
    public static StageOutput Begin(string outputDir, bool force)
    {
        var full = System.IO.Path.GetFullPath(outputDir.TrimEnd('/', '\\'));
        if (File.Exists(full))
            throw new ClinFuseException($"The output path {full} is a file, not a folder.", "Choose another --out.");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !force)
            throw new ClinFuseException($"The output folder {full} is not empty.", "Choose another --out, or add --force to replace it.");
        var parent = System.IO.Path.GetDirectoryName(full) ?? throw new ClinFuseException($"Cannot write to the root folder {full}.");
        try
        {
            Directory.CreateDirectory(parent);
            RemoveStale(parent, System.IO.Path.GetFileName(full));
            var work = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(full)}.partial-{Environment.ProcessId}");
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            Directory.CreateDirectory(work);
            return new StageOutput(full, work);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ClinFuseException($"Cannot write to {parent}: {e.Message}", "Check the folder's permissions or choose another --out.");
        }
    }

    /// <summary>
    /// Deletes the <c>.NAME.partial-PID</c> working folders (and <c>NAME.old-PID</c> folders) that
    /// stages killed before their commit left next to <paramref name="name"/>, when process PID no
    /// longer runs. Returns how many were removed.
    /// </summary>
    public static int RemoveStale(string parent, string name)
    {
        int removed = 0;
        var candidates = Directory.EnumerateDirectories(parent, $".{name}.partial-*").Concat(Directory.EnumerateDirectories(parent, $"{name}.old-*"));
        foreach (var folder in candidates.ToList())
        {
            var suffix = folder[(folder.LastIndexOf('-') + 1)..];
            if (!int.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                || pid == Environment.ProcessId || IsRunning(pid)) continue;
            try
            {
                Directory.Delete(folder, recursive: true);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* someone else's folder: leave it */ }
        }
        return removed;
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>A path inside the working folder (parent folders are created).</summary>
    public string PathFor(params string[] parts)
    {
        var path = System.IO.Path.Combine([Path, .. parts]);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>Moves the finished output into place, replacing an earlier output.</summary>
    public void Commit()
    {
        if (committed) return;
        string? old = null;
        if (Directory.Exists(finalPath))
        {
            old = finalPath + $".old-{Environment.ProcessId}";
            Directory.Move(finalPath, old);
        }
        Directory.Move(Path, finalPath);
        committed = true;
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    /// <summary>Deletes the working folder unless committed.</summary>
    public void Dispose()
    {
        if (!committed && Directory.Exists(Path))
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { /* best effort: a leftover .partial folder is harmless and named as such */ }
        }
    }
}
