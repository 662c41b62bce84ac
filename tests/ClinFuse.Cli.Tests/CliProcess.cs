using System.Diagnostics;

namespace ClinFuse.Cli.Tests;

/// <summary>
/// Runs the built <c>clinfuse</c> as a child process, behind a launcher such as <c>env</c> or
/// <c>setpriv</c>, for what the in-process <see cref="CliRunner"/> cannot do: signals, another user.
/// </summary>
public static class CliProcess
{
    /// <summary>The built command next to the tests.</summary>
    public static string Executable { get; } = Path.Combine(AppContext.BaseDirectory, "clinfuse");

    /// <summary>A start description for <paramref name="launcher"/> + the command + <paramref name="args"/>, every stream redirected.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> launcher, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(launcher[0])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in launcher.Skip(1).Append(Executable).Concat(args)) start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>Runs to the end (at most 5 minutes) and returns the exit code and what it printed.</summary>
    public static async Task<CliRunner.Result> RunAsync(IReadOnlyList<string> launcher, params string[] args)
    {
        using var process = Process.Start(StartInfo(launcher, args)) ?? throw new InvalidOperationException($"{launcher[0]} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
        return new CliRunner.Result(process.ExitCode, await stdout, await stderr);
    }
}
