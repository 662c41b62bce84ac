using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse report</c>: the paper's tables and figure from run folders.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo[]>("--run") { Description = "Run, evaluation or robustness folders to report on (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        return NotAvailable.Mark(new Command("report", "Write report.html, Markdown tables and PNG figures mirroring the paper's Tables I-VI and Fig. 4.")
        {
            runs, CommonOptions.OutDir("Folder for the report."),
        });
    }
}
