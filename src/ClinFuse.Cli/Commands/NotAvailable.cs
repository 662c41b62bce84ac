using System.CommandLine;
using ClinFuse.Core;

namespace ClinFuse.Cli.Commands;

/// <summary>The action of a command whose options are defined but whose stage is not built yet.</summary>
public static class NotAvailable
{
    /// <summary>Makes <paramref name="command"/> fail plainly with <see cref="ExitCodes.NotImplemented"/>.</summary>
    public static Command Mark(Command command)
    {
        command.SetAction((ParseResult _, CancellationToken _) => Task.FromException<int>(new ClinFuseException(
            $"`clinfuse {command.Name}` is not available in ClinFuse {ProductInfo.Version} yet.",
            "`clinfuse --help` lists the commands; `clinfuse info` shows what this build can do.",
            ExitCodes.NotImplemented)));
        return command;
    }
}
