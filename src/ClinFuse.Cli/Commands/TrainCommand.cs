using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Training;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse train</c>: fine-tune a fusion model from pre-trained encoders.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Prepared store written by `clinfuse prepare`.", Required = true };
        var model = new Option<string?>("--model") { Description = "Model: attention (default), medfuse, early, ehr-only or cxr-only." };
        model.AcceptOnlyFromAmong("attention", "medfuse", "early", "ehr-only", "cxr-only");
        var ehr = new Option<DirectoryInfo?>("--ehr-encoder") { Description = "Run folder of a pre-trained EHR encoder (its best.safetensors is loaded)." };
        var cxr = new Option<DirectoryInfo?>("--cxr-encoder") { Description = "Run folder of a pre-trained CXR encoder (its best.safetensors is loaded)." };
        var loss = new Option<string?>("--loss") { Description = "Loss: bce or uncertainty (per-label learned weights; the recipes' default)." };
        loss.AcceptOnlyFromAmong("bce", "uncertainty");
        var run = new RunOptions();
        var command = new Command("train", "Fine-tune a fusion model (attention, MedFuse LSTM, early) or a unimodal baseline.") { data, model, ehr, cxr, loss };
        run.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var request = run.Request(r, r.GetValue(data)!.FullName, new TrainingOverrides { Loss = RunOptions.ParseLoss(r.GetValue(loss)) }) with
            {
                EhrEncoderRun = r.GetValue(ehr)?.FullName,
                CxrEncoderRun = r.GetValue(cxr)?.FullName,
            };
            FusionType? fusion = r.GetValue(model) switch
            {
                "attention" => FusionType.Attention,
                "medfuse" => FusionType.MedFuseLstm,
                "early" => FusionType.Early,
                "ehr-only" => FusionType.UniEhr,
                "cxr-only" => FusionType.UniCxr,
                _ => null,
            };
            await Task.Run(() => TrainingRun.Train(request, fusion, ConsoleProgress.ForStderr(), cancellationToken: ct), ct);
            await r.InvocationConfiguration.Output.WriteLineAsync($"Run folder: {Path.GetFullPath(request.Out)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
