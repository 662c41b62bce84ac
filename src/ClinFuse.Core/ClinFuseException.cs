namespace ClinFuse.Core;

/// <summary>
/// A problem with the user's input or environment (missing file, wrong MIMIC layout, bad option,
/// corrupt data). The command line prints <see cref="Exception.Message"/> and <see cref="Hint"/>
/// without a stack trace and exits with <see cref="ExitCode"/>.
/// </summary>
public class ClinFuseException : Exception
{
    public ClinFuseException(string message, string? hint = null, int exitCode = ExitCodes.BadInput, Exception? inner = null)
        : base(message, inner)
    {
        Hint = hint;
        ExitCode = exitCode;
    }

    /// <summary>What the user can do about it, if anything useful can be said.</summary>
    public string? Hint { get; }

    /// <summary>The process exit code this error maps to.</summary>
    public int ExitCode { get; }
}

/// <summary>Process exit codes of the <c>clinfuse</c> command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad input data, files or options.</summary>
    public const int BadInput = 1;
    /// <summary>Wrong command-line usage (parse errors).</summary>
    public const int Usage = 2;
    /// <summary>The command exists but is not available in this version.</summary>
    public const int NotImplemented = 3;
    /// <summary>The environment cannot run the command (native library missing, no device).</summary>
    public const int Environment = 4;
    /// <summary>Interrupted by the user (Ctrl+C).</summary>
    public const int Cancelled = 130;
    /// <summary>An unexpected internal error: a bug.</summary>
    public const int Internal = 70;
}
