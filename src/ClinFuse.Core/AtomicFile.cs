namespace ClinFuse.Core;

/// <summary>Writes files so that readers never see a half-written one: temp name, then rename.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> through a temporary sibling file.</summary>
    public static void WriteAllText(string path, string content) => Write(path, temp => File.WriteAllText(temp, content));

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> through a temporary sibling file.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>
    /// Runs <paramref name="writeTemp"/> on a temporary sibling path and renames it to <paramref name="path"/>.
    /// Whatever happens (full disk, cancellation), the temporary file is removed and an earlier
    /// <paramref name="path"/> is left as it was.
    /// </summary>
    public static void Write(string path, Action<string> writeTemp)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ClinFuseException($"Cannot write {full}: it is a folder.", "Choose another output file name.");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            writeTemp(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the original error is the one to report */ }
        }
    }
}
