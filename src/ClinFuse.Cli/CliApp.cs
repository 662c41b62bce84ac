using System.CommandLine;
using System.CommandLine.Invocation;
using ClinFuse.Cli.Commands;
using ClinFuse.Core;

namespace ClinFuse.Cli;

/// <summary>The <c>clinfuse</c> command tree and its error policy.</summary>
public static class CliApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "ClinFuse: multimodal clinical prediction from ICU time series (MIMIC-IV) and chest X-rays (MIMIC-CXR-JPG).\n" +
            "Stages: synth -> extract -> prepare -> pretrain -> train -> evaluate / robustness -> report; `demo` runs them all.");
        root.Options.Add(CommonOptions.Threads);
        root.Options.Add(CommonOptions.Device);
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
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors) await stderr.WriteLineAsync($"error: {error.Message}");
            var commandPath = string.Join(' ', parsed.CommandResult.Command is RootCommand ? [] : new[] { parsed.CommandResult.Command.Name });
            await stderr.WriteLineAsync($"  Run `clinfuse {commandPath}{(commandPath.Length > 0 ? " " : "")}--help` for usage.");
            return ExitCodes.Usage;
        }
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr };
        try
        {
            return await parsed.InvokeAsync(invocation);
        }
        catch (ClinFuseException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            if (e.Hint is not null) await stderr.WriteLineAsync($"  {e.Hint}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync($"internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("CLINFUSE_DEBUG") == "1") await stderr.WriteLineAsync(e.ToString());
            else await stderr.WriteLineAsync("  This is a bug in ClinFuse. Rerun with CLINFUSE_DEBUG=1 for the stack trace and report it.");
            return ExitCodes.Internal;
        }
    }
}
