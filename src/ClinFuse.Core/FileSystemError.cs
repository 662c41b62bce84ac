namespace ClinFuse.Core;

/// <summary>
/// Turns a failed file operation (no permission, read-only file system, full disk, a file where a
/// folder is expected or the reverse) into a <see cref="ClinFuseException"/>: one line naming the
/// path, a hint, and exit code 1 (the path the user chose cannot be written: choose another) or 4
/// (the machine cannot store it: full disk, read-only or failing file system).
/// </summary>
public static class FileSystemError
{
    // errno values of Linux that .NET reports as an IOException's HResult.
    const int NotADirectory = 20, IsADirectory = 21, NoSpace = 28, ReadOnly = 30, QuotaExceeded = 122, InputOutput = 5;

    /// <summary>The user-facing error for <paramref name="e"/>, or null when it is not a file-system failure.</summary>
    public static ClinFuseException? From(Exception e) => e switch
    {
        ClinFuseException => null,
        UnauthorizedAccessException => new ClinFuseException($"Permission denied: {Describe(e)}",
            "Check the permissions of that path (the user running clinfuse must be allowed to write there), or choose another output path.", ExitCodes.BadInput, e),
        FileNotFoundException or DirectoryNotFoundException => new ClinFuseException($"Not found: {Describe(e)}",
            "Check the path; a folder on the way may have been removed while the command ran.", ExitCodes.BadInput, e),
        PathTooLongException => new ClinFuseException($"Path too long: {Describe(e)}", "Choose a shorter output path.", ExitCodes.BadInput, e),
        IOException io when io is not EndOfStreamException => io.HResult switch
        {
            NoSpace or QuotaExceeded => new ClinFuseException($"The disk is full: {Describe(e)}",
                "Free some space on that disk (or choose an output folder on another one) and run the command again; unfinished output was discarded.", ExitCodes.Environment, e),
            ReadOnly => new ClinFuseException($"Read-only file system: {Describe(e, "Read-only file system")}",
                "Choose an output path on a writable file system.", ExitCodes.Environment, e),
            InputOutput => new ClinFuseException($"The disk reported an I/O error: {Describe(e)}",
                "Check the disk (dmesg) and run the command again.", ExitCodes.Environment, e),
            NotADirectory or IsADirectory => new ClinFuseException($"A file is where a folder is needed, or the reverse: {Describe(e)}",
                "Choose another output path, or move the file or folder that is in the way.", ExitCodes.BadInput, e),
            _ => new ClinFuseException($"File system error: {Describe(e)}", "Check the path and its disk, then run the command again.", ExitCodes.BadInput, e),
        },
        _ => null,
    };

    /// <summary>
    /// .NET's message names the path (e.g. "Access to the path '/x' is denied."); it is kept as is,
    /// less a leading <paramref name="repeated"/> (the system's text for the error, "X : '/path'") that the message already starts with.
    /// </summary>
    static string Describe(Exception e, string? repeated = null)
    {
        var message = e.Message;
        if (repeated is not null && message.StartsWith(repeated + " : ", StringComparison.Ordinal)) message = message[(repeated.Length + 3)..];
        return message.TrimEnd('.') + ".";
    }
}
