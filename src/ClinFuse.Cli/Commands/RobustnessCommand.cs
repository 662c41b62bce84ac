using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse robustness</c>: the paper's Gaussian-noise protocols.</summary>
public static class RobustnessCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo[]>("--run") { Description = "Run folders of the models to test (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var protocol = new Option<string>("--protocol") { Description = "clean-train (train clean, test noisy), noisy-train (train and test noisy), or missing-image.", DefaultValueFactory = _ => "clean-train" };
        protocol.AcceptOnlyFromAmong("clean-train", "noisy-train", "missing-image");
        var levels = new Option<int[]>("--levels") { Description = "Noise levels in percent.", DefaultValueFactory = _ => [10, 20, 30, 40, 50, 60], AllowMultipleArgumentsPerToken = true };
        return NotAvailable.Mark(new Command("robustness", "Measure metrics under Gaussian noise on a fraction of time steps and pixels, or with images removed.")
        {
            runs, protocol, levels, CommonOptions.OutDir("Folder for the sweep's predictions and metrics."), CommonOptions.Seed(),
        });
    }
}
