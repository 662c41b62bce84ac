using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Evaluation;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse evaluate</c>: predictions and metrics with confidence intervals.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "Run folder holding the checkpoint to evaluate (not available yet; use --predictions)." };
        var predictions = new Option<FileInfo?>("--predictions") { Description = "Evaluate an existing predictions file (CSV, format in docs/evaluation.md)." };
        var split = new Option<string>("--split") { Description = "Split to predict with --run: test, val or train.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "val", "train");
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the 95 % confidence intervals (0: none).", DefaultValueFactory = _ => 1000 };
        var json = new Option<FileInfo?>("--json") { Description = "Write the metrics as JSON (metrics.json) to this file." };
        var compare = new Option<FileInfo?>("--compare") { Description = "A second predictions file of the same samples: paired bootstrap difference with its CI." };
        var seed = CommonOptions.Seed();
        var command = new Command("evaluate", "Evaluate a checkpoint or a predictions file: AUROC, AUPRC, F1, calibration, bootstrap CIs.")
        {
            run, predictions, split, bootstrap, seed, json, compare,
        };
        command.SetAction((ParseResult r, CancellationToken ct) =>
        {
            if (r.GetValue(run) is not null)
                throw new ClinFuseException("`clinfuse evaluate --run` is not available yet.",
                    "Evaluate a predictions file with `clinfuse evaluate --predictions FILE`.", ExitCodes.NotImplemented);
            var file = r.GetValue(predictions)
                ?? throw new ClinFuseException("Nothing to evaluate: give --predictions FILE.", "`clinfuse evaluate --help` shows the options.", ExitCodes.Usage);
            var request = new EvaluateRequest(file.FullName, r.GetValue(bootstrap), r.GetValue(seed), r.GetValue(json)?.FullName, r.GetValue(compare)?.FullName);
            var result = EvaluateStage.Run(request, CommonOptions.Compute(r), ct);
            var output = r.InvocationConfiguration.Output;
            output.Write(MetricsText.Render(result));
            if (request.JsonPath is not null) output.WriteLine($"\nmetrics written to {request.JsonPath}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
