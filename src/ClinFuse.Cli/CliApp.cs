using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using ClinFuse.Cli.Commands;
using ClinFuse.Core;

namespace ClinFuse.Cli;

/// <summary>The <c>clinfuse</c> command tree and its error policy.</summary>
internal static class CliApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "ClinFuse: multimodal clinical prediction from ICU time series (MIMIC-IV) and chest X-rays (MIMIC-CXR-JPG).\n" +
            "Stages: synth -> extract -> prepare -> pretrain -> train -> evaluate / robustness -> report; `demo` runs them all.");
        root.Options.Add(CommonOptions.Threads);
        root.Options.Add(CommonOptions.Device);
        root.Options.Add(CommonOptions.ImageLayout);
        root.Options.Add(CommonOptions.ImagePrecision);
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(ExtractCommand.Create());
        root.Subcommands.Add(PrepareCommand.Create());
        root.Subcommands.Add(ImageCommand.Create());
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(RobustnessCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        return root;
    }

    /// <summary>Parses and runs; turns every failure into one message and an exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = CreateRoot();
        var parsed = root.Parse(args);
        if (UnknownCommand(root, args) is { } unknown)
        {
            await stderr.WriteLineAsync($"error: unknown command '{unknown}'.{Suggestion(root, unknown)}");
            await stderr.WriteLineAsync($"  Commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))}. Run `clinfuse --help` for usage.");
            return ExitCodes.Usage;
        }
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors) await stderr.WriteLineAsync($"error: {error.Message}");
            var commandPath = string.Join(' ', parsed.CommandResult.Command is RootCommand ? [] : new[] { parsed.CommandResult.Command.Name });
            await stderr.WriteLineAsync($"  Run `clinfuse {commandPath}{(commandPath.Length > 0 ? " " : "")}--help` for usage.");
            return ExitCodes.Usage;
        }
        // Ctrl+C cancels the command's token: the stage stops at its next check and deletes its
        // unfinished output; a second Ctrl+C ends the process at once.
        var invocation = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr, ProcessTerminationTimeout = null,
        };
        using var interruption = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            if (interruption.IsCancellationRequested) return;
            context.Cancel = true;
            stderr.WriteLine("interrupted (Ctrl+C): stopping; unfinished output is discarded (exit code 130; Ctrl+C again to end at once).");
            interruption.Cancel();
        });
        try
        {
            return await parsed.InvokeAsync(invocation, interruption.Token);
        }
        catch (Exception e)
        {
            return await ReportAsync(Cause(e), stderr);
        }
    }

    /// <summary>The exception to report: a parallel loop's <see cref="AggregateException"/> is reported by its user-facing cause.</summary>
    static Exception Cause(Exception e)
    {
        if (e is not AggregateException aggregate) return e;
        var inner = aggregate.Flatten().InnerExceptions;
        return inner.FirstOrDefault(x => x is ClinFuseException) ?? inner.FirstOrDefault(x => x is OperationCanceledException)
            ?? inner.FirstOrDefault(x => FileSystemError.From(x) is not null) ?? (inner.Count == 1 ? inner[0] : e);
    }

    /// <summary>One message and the exit code: the error policy of every command.</summary>
    static async Task<int> ReportAsync(Exception e, TextWriter stderr)
    {
        if ((e as ClinFuseException ?? FileSystemError.From(e)) is { } error)
        {
            await stderr.WriteLineAsync($"error: {error.Message}");
            if (error.Hint is not null) await stderr.WriteLineAsync($"  {error.Hint}");
            return error.ExitCode;
        }
        if (e is OperationCanceledException)
        {
            await stderr.WriteLineAsync("cancelled.");
            return ExitCodes.Cancelled;
        }
        await stderr.WriteLineAsync($"internal error: {e.GetType().Name}: {e.Message}");
        if (Environment.GetEnvironmentVariable("CLINFUSE_DEBUG") == "1") await stderr.WriteLineAsync(e.ToString());
        else await stderr.WriteLineAsync("  This is a bug in ClinFuse. Rerun with CLINFUSE_DEBUG=1 for the stack trace and report it.");
        return ExitCodes.Internal;
    }

    /// <summary>The first argument when it names no command (an option or a known command is not "unknown").</summary>
    static string? UnknownCommand(RootCommand root, string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return null;
        return root.Subcommands.Any(c => c.Name == args[0] || c.Aliases.Contains(args[0])) ? null : args[0];
    }

    /// <summary>" Did you mean 'x'?" for the command nearest to <paramref name="typed"/> by edit distance, when it is close.</summary>
    static string Suggestion(RootCommand root, string typed)
    {
        var best = root.Subcommands.Select(c => (c.Name, Distance: EditDistance(c.Name, typed))).MinBy(c => c.Distance);
        return best.Name is not null && best.Distance <= Math.Max(2, typed.Length / 3) ? $" Did you mean '{best.Name}'?" : "";
    }

    static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
