using System.Diagnostics;
using System.Runtime.InteropServices;
using ClinFuse.Core;

namespace ClinFuse.Cli.Tests;

/// <summary>
/// Ctrl+C on the real command (docs/reliability.md): the built <c>clinfuse</c> runs as a child process,
/// gets SIGINT once its stage has started, and must end with exit code 130, say so in one line, and
/// leave the earlier, complete output as it was with no unfinished folder behind.
/// </summary>
public sealed class InterruptTests
{
    const int SigInt = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    [Fact]
    public async Task Ctrl_c_during_a_stage_exits_130_with_one_line_and_keeps_the_earlier_output()
    {
        using var folder = Fixtures.TempFolder();
        var output = folder.Combine("cohort");
        var earlier = await CliRunner.RunAsync("synth", "--patients", "20", "--images", "none", "-o", output, "--threads", "1");
        Assert.Equal(0, earlier.ExitCode);
        var manifest = File.ReadAllBytes(Path.Combine(output, "manifest.json"));

        // A run long enough to be interrupted on any machine (20,000 patients on one thread: minutes), replacing the earlier output.
        var r = await RunAndInterruptAsync("synth", "--patients", "20000", "--images", "none", "-o", output, "--force", "--threads", "1");

        Assert.Equal(ExitCodes.Cancelled, r.ExitCode);
        Assert.Single(r.Err, l => l == "interrupted (Ctrl+C): stopping; unfinished output is discarded (exit code 130; Ctrl+C again to end at once).");
        Assert.Equal("cancelled.", r.Err[^1]);
        Assert.DoesNotContain(r.Err, l => l.Contains("   at ", StringComparison.Ordinal) || l.StartsWith("error", StringComparison.Ordinal));
        Assert.Equal(manifest, File.ReadAllBytes(Path.Combine(output, "manifest.json")));
        Assert.Equal(["cohort"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName)); // no .cohort.partial-PID, no cohort.old-PID
    }

    sealed record Interrupted(int ExitCode, IReadOnlyList<string> Err);

    /// <summary>
    /// Starts the built command, waits (up to minutes, for loaded machines) for its first progress
    /// line on stderr, sends SIGINT to its process and waits for it to end.
    /// </summary>
    static async Task<Interrupted> RunAndInterruptAsync(params string[] args)
    {
        // A process started with SIGINT ignored (a background job of a script) passes the ignored
        // disposition on to its children, and .NET keeps an ignored SIGINT ignored: `env` restores the default.
        var start = CliProcess.StartInfo(["env", "--default-signal=INT"], args);
        var err = new List<string>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (err) err.Add(e.Data);
            if (e.Data.StartsWith("Generating patients", StringComparison.Ordinal)) started.TrySetResult();
        };
        process.OutputDataReceived += (_, _) => { };
        Assert.True(process.Start());
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(started.Task, exited, Task.Delay(TimeSpan.FromMinutes(5)));
            Assert.True(first == started.Task, $"no progress line within 5 minutes; stderr so far:\n{string.Join('\n', Snapshot(err))}");
            Assert.Equal(0, Kill(process.Id, SigInt));
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(limit.Token);
            return new Interrupted(process.ExitCode, Snapshot(err));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    static List<string> Snapshot(List<string> lines)
    {
        lock (lines) return [.. lines];
    }
}
