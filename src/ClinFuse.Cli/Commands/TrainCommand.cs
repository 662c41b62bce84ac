using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse train</c>: fine-tune a fusion model from pre-trained encoders.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Prepared store written by `clinfuse prepare`.", Required = true };
        var model = new Option<string>("--model") { Description = "Model: attention, medfuse, early, ehr-only or cxr-only.", DefaultValueFactory = _ => "attention" };
        model.AcceptOnlyFromAmong("attention", "medfuse", "early", "ehr-only", "cxr-only");
        var ehr = new Option<DirectoryInfo?>("--ehr-encoder") { Description = "Run folder of a pre-trained EHR encoder." };
        var cxr = new Option<DirectoryInfo?>("--cxr-encoder") { Description = "Run folder of a pre-trained CXR encoder." };
        var loss = new Option<string>("--loss") { Description = "Loss: bce or uncertainty (per-label learned weights).", DefaultValueFactory = _ => "bce" };
        loss.AcceptOnlyFromAmong("bce", "uncertainty");
        var config = new Option<FileInfo?>("--config") { Description = "Training configuration file (JSON); CLI options override it." };
        return NotAvailable.Mark(new Command("train", "Fine-tune a fusion model (attention, MedFuse LSTM, early) or a unimodal baseline.")
        {
            data, model, ehr, cxr, loss, config, CommonOptions.OutDir("Run folder for checkpoints and logs."), CommonOptions.Seed(), CommonOptions.Force(),
        });
    }
}
