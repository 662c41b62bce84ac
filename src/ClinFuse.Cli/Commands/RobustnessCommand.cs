using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Robustness;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse robustness</c>: the paper's Gaussian-noise protocols.</summary>
internal static class RobustnessCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo[]>("--run") { Description = "Run folders of the models to test (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var protocol = CommonOptions.Choice("--protocol", "clean-train (train clean, test noisy), noisy-train (train and test noisy), or missing-image.",
            [("clean-train", RobustnessProtocol.CleanTrain), ("noisy-train", RobustnessProtocol.NoisyTrain), ("missing-image", RobustnessProtocol.MissingImage)], RobustnessProtocol.CleanTrain);
        var levels = new Option<int[]>("--levels") { Description = "Noise levels in percent.", DefaultValueFactory = _ => [10, 20, 30, 40, 50, 60], AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for the results (default: inside each run folder, where `clinfuse report` reads them)." };
        var bootstrap = CommonOptions.Bootstrap();
        var seed = CommonOptions.Seed();
        var force = new Option<bool>("--force") { Description = "Compute every level again (by default a level whose metrics.json is there and readable is skipped)." };
        var command = new Command("robustness", "Measure metrics under Gaussian noise on a fraction of time steps and pixels, or with images removed.")
        {
            runs, protocol, levels, output, bootstrap, seed, force,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var request = new RobustnessRequest(
                [.. r.GetValue(runs)!.Select(d => d.FullName)],
                r.GetValue(protocol),
                r.GetValue(levels)!, r.GetValue(output)?.FullName, r.GetValue(seed), new ScoringSettings(r.GetValue(bootstrap), r.GetValue(seed)), CommonOptions.Compute(r)) { Force = r.GetValue(force) };
            var outcomes = await Task.Run(() => RobustnessStage.Run(request, CommonOptions.Progress(r), ct), ct);
            var text = r.InvocationConfiguration.Output;
            await text.WriteLineAsync("run\tlevel\tAUROC\tAUPRC\tmacro-F1\tbinary-F1\tfolder");
            foreach (var o in outcomes)
            {
                var s = o.Metrics.Summary;
                await text.WriteLineAsync($"{Path.GetFileName(o.Run)}\t{(o.Level is int l ? $"{l} %" : "no images")}\t{s.Auroc.Macro.Value:0.000}\t{s.Auprc.Macro.Value:0.000}\t" +
                                          $"{s.F1Macro.Value:0.000}\t{s.F1Binary.Value:0.000}\t{o.Folder}{(o.Skipped ? " (already done)" : "")}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
