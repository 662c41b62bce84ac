using System.CommandLine;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Inference.Calibration;
using ClinFuse.Inference.Prediction;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse predict</c>: a trained run on new stays.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Finished run folder (train or pretrain --out).", Required = true };
        var cohort = new Option<DirectoryInfo?>("--cohort") { Description = "Cohort store written by `clinfuse extract` (new stays, raw series and image paths)." };
        var mimic = new Option<DirectoryInfo?>("--mimic-iv") { Description = "MIMIC-IV folder (any version `extract` reads): extracted into a temporary cohort store with the run's cohort recipe, then predicted." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Prepared store written by `clinfuse prepare` (needs --split)." };
        var series = new Option<FileInfo?>("--series") { Description = "One stay: an episode time-series CSV (Hours + the 17 channels)." };
        var image = new Option<FileInfo?>("--image") { Description = "With --series: the stay's chest X-ray (JPEG or PNG)." };
        var hours = new Option<double?>("--hours") { Description = "With --series, phenotyping: the length of stay in hours (default: the last observation time)." };
        var id = new Option<string?>("--id") { Description = "With --series: the sample id written to the outputs (default: the file name)." };
        var split = CommonOptions.Split("With --cohort, --mimic-iv or --data: predict one split (test, val, train); a cohort is predicted whole by default.", null);
        var cxr = CommonOptions.MimicCxr("With --cohort: the MIMIC-CXR-JPG folder (default: the folder the extraction read); with --mimic-iv: the MIMIC-CXR-JPG folder to link (default: none).");
        var output = CommonOptions.OutDir("Output folder: predictions.csv (clinfuse-predictions/1) and predictions.json.");
        var force = CommonOptions.Force();
        var command = new Command("predict", "Predict new stays with a trained run, applying the run's own preprocessing (normaliser, CLAHE, image size, task window).")
        {
            run, cohort, mimic, data, series, image, hours, id, split, cxr, output, force,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var sources = new (PredictSourceKind Kind, FileSystemInfo? Path)[]
            {
                (PredictSourceKind.Cohort, r.GetValue(cohort)), (PredictSourceKind.Mimic, r.GetValue(mimic)), (PredictSourceKind.Prepared, r.GetValue(data)), (PredictSourceKind.Episode, r.GetValue(series)),
            }.Where(s => s.Path is not null).ToList();
            if (sources.Count != 1)
                throw new ClinFuseException("Give exactly one of --cohort, --mimic-iv, --data or --series.", "`clinfuse predict --help` describes the sources.", ExitCodes.Usage);
            var (kind, path) = sources[0];
            if (kind != PredictSourceKind.Episode && (r.GetValue(image) is not null || r.GetValue(hours) is not null || r.GetValue(id) is not null))
                throw new ClinFuseException("--image, --hours and --id go with --series.", "For stores, images come from the store.", ExitCodes.Usage);
            if (kind == PredictSourceKind.Episode && r.GetValue(split) is not null)
                throw new ClinFuseException("--split goes with --cohort, --mimic-iv or --data.", "Leave it out for one stay.", ExitCodes.Usage);
            if (kind is PredictSourceKind.Episode or PredictSourceKind.Prepared && r.GetValue(cxr) is not null)
                throw new ClinFuseException("--mimic-cxr goes with --cohort or --mimic-iv.", "Give a stay's image with --image; a prepared store has its images.", ExitCodes.Usage);
            var request = new PredictRequest(r.GetValue(run)!.FullName, kind, path!.FullName, r.GetValue(output)!.FullName, CommonOptions.Compute(r),
                r.GetValue(split), r.GetValue(cxr)?.FullName, r.GetValue(image)?.FullName, r.GetValue(hours), r.GetValue(id), r.GetValue(force));
            var result = await Task.Run(() => PredictStage.Run(request, CommonOptions.Progress(r), ct), ct);
            var stdout = r.InvocationConfiguration.Output;
            foreach (var problem in result.ImageProblems.Take(5)) await r.InvocationConfiguration.Error.WriteLineAsync($"warning: {problem} (predicted without the image)");
            if (result.ImageProblems.Count > 5) await r.InvocationConfiguration.Error.WriteLineAsync($"warning: {result.ImageProblems.Count - 5} more stays without a readable image");
            if (result.Predictions.Count == 1)
            {
                var p = result.Predictions[0];
                for (int l = 0; l < result.Labels.Count; l++)
                    await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{result.Labels[l]}: {p.Probabilities[l]:F4}{(p.Calibrated is null ? "" : $" (calibrated {p.Calibrated[l]:F4})")}"));
            }
            await stdout.WriteLineAsync($"{result.Predictions.Count} stays predicted; {PredictionsOutput.CsvFile} and {PredictionsOutput.JsonFile} written to {result.Folder}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary><c>clinfuse calibrate</c>: temperature scaling fitted on the validation split, stored with the run.</summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Finished run folder; calibration.json is written into it.", Required = true };
        var command = new Command("calibrate", "Fit temperature scaling on the run's validation split; predict and serve then report calibrated probabilities too.") { run };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var fitted = await Task.Run(() => CalibrateStage.Run(r.GetValue(run)!.FullName, CommonOptions.Compute(r), cancellationToken: ct), ct);
            var stdout = r.InvocationConfiguration.Output;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"temperature {fitted.Temperature:F4} fitted on {fitted.Values} validation values"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"             NLL      Brier    ECE"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  before  {fitted.Before!.Nll,8:F4} {fitted.Before.Brier,8:F4} {fitted.Before.Ece,8:F4}"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  after   {fitted.After!.Nll,8:F4} {fitted.After.Brier,8:F4} {fitted.After.Ece,8:F4}"));
            await stdout.WriteLineAsync($"written to {Path.Combine(r.GetValue(run)!.FullName, TemperatureScaling.FileName)}");
            if (fitted.Values < TemperatureScaling.ReliableValues)
                await r.InvocationConfiguration.Error.WriteLineAsync($"warning: only {fitted.Values} validation values; a temperature fitted on fewer than {TemperatureScaling.ReliableValues} is unreliable (prepare a larger cohort).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
