using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Evaluation.Report;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse report</c>: the paper's tables and figure from run folders.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo[]>("--run") { Description = "Run folders to report on, each with metrics.json and optional robustness/<protocol>/<level>/metrics.json (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var provenance = new Option<FileInfo?>("--provenance") { Description = "JSON with cohort flow, hashes and other facts for the provenance section." };
        var truth = new Option<FileInfo?>("--truth") { Description = "Synthetic cohorts: predictions CSV of the oracle (true) probabilities, shown as an oracle row." };
        var outDir = CommonOptions.OutDir("Folder for the report.");
        var force = CommonOptions.Force();
        var command = new Command("report", "Write report.html, Markdown tables and PNG figures mirroring the paper's Tables I-VI and Fig. 4.")
        {
            runs, outDir, provenance, truth, force,
        };
        command.SetAction((ParseResult r, CancellationToken ct) =>
        {
            var request = new ReportRequest(
                r.GetValue(runs)!.Select(d => d.FullName).ToList(), r.GetValue(outDir)!.FullName,
                r.GetValue(provenance)?.FullName, r.GetValue(truth)?.FullName, r.GetValue(force));
            var content = ReportBuilder.Run(request);
            var output = r.InvocationConfiguration.Output;
            output.WriteLine($"Report of {content.Runs.Count} run(s) written to {request.OutFolder}: report.html, {content.Tables.Count + content.Provenance.Count} tables, {content.Figures.Count} figures.");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
