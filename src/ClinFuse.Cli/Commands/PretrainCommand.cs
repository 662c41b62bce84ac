using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse pretrain</c>: train one encoder alone.</summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Prepared store written by `clinfuse prepare`.", Required = true };
        var encoder = new Option<string>("--encoder") { Description = "Encoder: ehr (LSTM) or cxr (ResNet-34).", Required = true };
        encoder.AcceptOnlyFromAmong("ehr", "cxr");
        var config = new Option<FileInfo?>("--config") { Description = "Training configuration file (JSON); CLI options override it." };
        return NotAvailable.Mark(new Command("pretrain", "Pre-train the EHR (LSTM) or CXR (ResNet-34) encoder with a linear head.")
        {
            data, encoder, config, CommonOptions.OutDir("Run folder for checkpoints and logs."), CommonOptions.Seed(), CommonOptions.Force(),
        });
    }
}
