using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse evaluate</c>: predictions and metrics with confidence intervals.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "Run folder holding the checkpoint to evaluate." };
        var predictions = new Option<FileInfo?>("--predictions") { Description = "Evaluate an existing predictions file instead of a checkpoint." };
        var split = new Option<string>("--split") { Description = "Split: test, val or train.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "val", "train");
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the 95 % confidence intervals.", DefaultValueFactory = _ => 1000 };
        return NotAvailable.Mark(new Command("evaluate", "Evaluate a checkpoint or a predictions file: AUROC, AUPRC, F1, calibration, bootstrap CIs.")
        {
            run, predictions, split, bootstrap, CommonOptions.Seed(),
        });
    }
}
