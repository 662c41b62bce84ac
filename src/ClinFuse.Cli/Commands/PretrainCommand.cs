using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse pretrain</c>: train one encoder alone.</summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Prepared store written by `clinfuse prepare`.", Required = true };
        var encoder = CommonOptions.RequiredChoice("--encoder", "Encoder: ehr (LSTM, all stays) or cxr (ResNet-34, stays with a chest X-ray).",
            [("ehr", ModelKind.UniEhr), ("cxr", ModelKind.UniCxr)]);
        var labels = CommonOptions.Choice("--labels",
            "Targets: task (the prepared task's labels) or radiology (CXR encoder only: the 14 CheXpert labels of every chest X-ray of the training subjects; needs `prepare --radiology`).",
            [("task", PretrainLabels.Task), ("radiology", PretrainLabels.Radiology)], PretrainLabels.Task);
        var init = new Option<DirectoryInfo?>("--cxr-encoder")
        {
            Description = "CXR encoder only: start from the encoder of this run folder (e.g. a radiology pre-training) instead of random weights; its head is replaced when the label sets differ.",
        };
        var probe = new Option<bool>("--linear-probe")
        {
            Description = "With --cxr-encoder: train only the linear head on the frozen encoder (its batch-norm statistics included), for a few hundred labelled images.",
        };
        var run = new RunOptions();
        var command = new Command("pretrain", "Pre-train the EHR (LSTM) or CXR (ResNet-34) encoder with a linear head on the task labels, or the CXR encoder on radiology labels.") { data, encoder, labels, init, probe };
        run.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            bool cxr = r.GetValue(encoder) == ModelKind.UniCxr;
            var start = r.GetValue(init);
            if (start is not null && !cxr)
                throw new ClinFuseException("--cxr-encoder initialises the CXR encoder; it does not apply to --encoder ehr.", "Leave --cxr-encoder out, or pre-train --encoder cxr.");
            bool linearProbe = r.GetValue(probe);
            if (linearProbe && start is null)
                throw new ClinFuseException("--linear-probe trains a head on a transferred encoder, but no --cxr-encoder was given.",
                    "Add --cxr-encoder RUN (e.g. a radiology pre-training), or leave --linear-probe out.", ExitCodes.Usage);
            var request = run.Request(r, r.GetValue(data)!.FullName, new TrainingOverrides { LinearProbe = linearProbe ? true : null }) with { CxrEncoderRun = start?.FullName };
            var targets = r.GetValue(labels);
            await Task.Run(() => TrainingRun.Pretrain(request, cxr, CommonOptions.Progress(r), cancellationToken: ct, labels: targets), ct);
            await r.InvocationConfiguration.Output.WriteLineAsync($"Run folder: {Path.GetFullPath(request.Out)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Options shared by <c>pretrain</c> and <c>train</c>: recipe, config file, overrides, run folder.</summary>
internal sealed class RunOptions
{
    readonly Option<string?> recipe = new("--recipe") { Description = $"Recipe preset: {string.Join(", ", RecipePresets.Names)} (default: the task's preset for this stage)." };
    readonly Option<FileInfo?> config = new("--config") { Description = "Training configuration file (JSON, docs/training.md); CLI options override it." };
    readonly Option<double?> lr = new("--lr") { Description = "Learning rate." };
    readonly Option<int?> epochs = new("--epochs") { Description = "Epochs." };
    readonly Option<int?> batchSize = new("--batch-size") { Description = "Samples per batch (reference: 16)." };
    readonly Option<int?> patience = new("--patience") { Description = "Stop after this many epochs without a better validation score." };
    readonly Option<CompatMode?> compat = CommonOptions.Compat("medfuse: the reference epoch order (validate first, epochs-1 training epochs) and Adam betas (0.9, 0.9).");
    readonly Option<MonitorMetric?> monitor = CommonOptions.Choice<MonitorMetric?>("--monitor", "Validation metric that selects the best epoch: auroc, auprc, or loss (the validation loss: smoother than a ranking metric on a small validation split).",
        [("auroc", MonitorMetric.Auroc), ("auprc", MonitorMetric.Auprc), ("loss", MonitorMetric.Loss)], null);
    readonly Option<bool> resume = new("--resume") { Description = "Continue the interrupted run in --out from its last completed epoch." };
    readonly Option<DirectoryInfo> output = CommonOptions.OutDir("Run folder for checkpoints, curves and logs.");
    readonly Option<int> seed = CommonOptions.Seed();
    readonly Option<bool> force = CommonOptions.Force();

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { recipe, config, lr, epochs, batchSize, patience, compat, monitor, resume, output, seed, force })
            command.Options.Add(option);
    }

    /// <summary>The library request for the parsed options.</summary>
    public TrainingRequest Request(ParseResult r, string dataFolder, TrainingOverrides? extra = null) =>
        new(dataFolder, r.GetValue(output)!.FullName, unchecked((ulong)r.GetValue(seed)), CommonOptions.Compute(r))
        {
            Recipe = r.GetValue(recipe),
            ConfigFile = r.GetValue(config)?.FullName,
            Force = r.GetValue(force),
            Resume = r.GetValue(resume),
            Overrides = (extra ?? new TrainingOverrides()) with
            {
                LearningRate = r.GetValue(lr),
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batchSize),
                Patience = r.GetValue(patience),
                Compat = r.GetValue(compat),
                Monitor = r.GetValue(monitor),
            },
        };
}
