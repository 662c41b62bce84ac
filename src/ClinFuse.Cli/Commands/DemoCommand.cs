using System.CommandLine;
using ClinFuse.Cli.Demo;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse demo</c>: the whole chain on a built-in synthetic cohort.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A smoke run of about a minute with tiny sizes, every model included." };
        var full = new Option<bool>("--full") { Description = "A larger cohort, more epochs, all six noise levels, the ablation rows (Table III) and the paper baselines (Contrastive + ViT, CARD)." };
        var outDir = new Option<DirectoryInfo>("--out", "-o") { Description = "Working folder for every stage's output (completed steps are skipped on a rerun).", DefaultValueFactory = _ => new DirectoryInfo("clinfuse-demo") };
        var patients = new Option<int?>("--patients") { Description = "Synthetic patients (default: 800; 120 with --quick, 1500 with --full, 3200 with --size large)." };
        var large = new Option<string?>("--size") { Description = "large: a replication-size run (3200 patients, every table, both noise protocols and both baselines; about two and a half hours on 2 cores)." };
        large.AcceptOnlyFromAmong("large");
        var task = CommonOptions.Task("Task: phenotyping (25 labels; Tables II–VI, Fig. 4) or ihm (48 h in-hospital mortality; Table I).", Core.Tasks.ClinicalTask.Phenotyping);
        var seed = CommonOptions.Seed();
        var command = new Command("demo", "Run synth -> extract -> prepare -> pretrain -> train -> evaluate -> robustness -> report on a synthetic cohort.")
        {
            quick, full, large, outDir, patients, task, seed,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(quick) && result.GetValue(full))
                throw new Core.ClinFuseException("--quick and --full exclude each other.", "Pick one, or neither for the standard demo.", Core.ExitCodes.Usage);
            if (result.GetValue(large) is not null && (result.GetValue(quick) || result.GetValue(full)))
                throw new Core.ClinFuseException("--size large excludes --quick and --full.", "Pick one.", Core.ExitCodes.Usage);
            var size = result.GetValue(quick) ? DemoSize.Quick : result.GetValue(full) ? DemoSize.Full : result.GetValue(large) is not null ? DemoSize.Large : DemoSize.Standard;
            if (result.GetValue(patients) is int n)
            {
                if (n < 50) throw new Core.ClinFuseException($"--patients must be at least 50 for the demo, got {n}.", "Too few patients leave the validation and test splits without positives.", Core.ExitCodes.Usage);
                size = size with { Patients = n };
            }
            var runner = new DemoRunner(result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            return await runner.RunAsync(result.GetValue(outDir)!.FullName, size, result.GetValue(task), result.GetValue(seed), result.GetValue(CommonOptions.Threads), result.GetValue(CommonOptions.Device), cancellationToken);
        });
        return command;
    }
}
