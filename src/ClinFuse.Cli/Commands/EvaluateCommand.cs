using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Evaluation;
using ClinFuse.Training.Evaluation;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse evaluate</c>: predictions and metrics with confidence intervals.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "Finished run folder: its best checkpoint predicts a split of the store it was trained on; predictions-<split>.csv and metrics.json go into the folder." };
        var predictions = new Option<FileInfo?>("--predictions") { Description = "Evaluate an existing predictions file (CSV, format in docs/evaluation.md)." };
        var split = CommonOptions.Split("Split to predict with --run: test, val or train.", Core.Tasks.Split.Test);
        var bootstrap = CommonOptions.Bootstrap();
        var json = new Option<FileInfo?>("--json") { Description = "Write the metrics as JSON (metrics.json) to this file." };
        var compare = new Option<FileInfo?>("--compare") { Description = "A second predictions file of the same samples: paired bootstrap difference with its CI." };
        var allowStoreChange = new Option<bool>("--allow-store-change") { Description = "With --run: score even when the prepared store changed after training (other images, other cohort)." };
        var seed = CommonOptions.Seed();
        var command = new Command("evaluate", "Evaluate a checkpoint or a predictions file: AUROC, AUPRC, F1, calibration, bootstrap CIs.")
        {
            run, predictions, split, bootstrap, seed, json, compare, allowStoreChange,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(run) is { } runFolder)
            {
                if (r.GetValue(predictions) is not null || r.GetValue(compare) is not null)
                    throw new ClinFuseException("--run cannot be combined with --predictions or --compare.", "Evaluate the run first, then compare its predictions file with `--predictions A --compare B`.", ExitCodes.Usage);
                var evaluated = await Task.Run(() => RunEvaluation.Run(
                    new RunEvaluationRequest(runFolder.FullName, r.GetValue(split)!.Value, new ScoringSettings(r.GetValue(bootstrap), r.GetValue(seed)), CommonOptions.Compute(r)) { AllowStoreChange = r.GetValue(allowStoreChange) }, ct), ct);
                if (r.GetValue(json) is { } copy) MetricsJson.Write(copy.FullName, evaluated.Metrics);
                output.Write(MetricsText.Render(evaluated.Metrics));
                output.WriteLine($"\npredictions written to {evaluated.PredictionsPath}\nmetrics written to {evaluated.MetricsPath}");
                return ExitCodes.Ok;
            }
            var file = r.GetValue(predictions)
                ?? throw new ClinFuseException("Nothing to evaluate: give --run RUN or --predictions FILE.", "`clinfuse evaluate --help` shows the options.", ExitCodes.Usage);
            var request = new EvaluateRequest(file.FullName, r.GetValue(bootstrap), r.GetValue(seed), r.GetValue(json)?.FullName, r.GetValue(compare)?.FullName);
            var result = EvaluateStage.Run(request, CommonOptions.Compute(r), ct);
            output.Write(MetricsText.Render(result));
            if (request.JsonPath is not null) output.WriteLine($"\nmetrics written to {request.JsonPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
