using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse prepare</c>: cohort store to model-ready tensors and image cache.</summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var cohort = new Option<DirectoryInfo>("--cohort") { Description = "Cohort store written by `clinfuse extract`.", Required = true };
        var task = new Option<string>("--task") { Description = "Task: ihm (48 h in-hospital mortality) or phenotyping (25 CCS labels).", Required = true };
        task.AcceptOnlyFromAmong("ihm", "phenotyping");
        var clahe = new Option<bool>("--clahe") { Description = "Apply CLAHE (clip 2.0, 8x8 tiles) to every image." };
        return NotAvailable.Mark(new Command("prepare", "Discretize time series to 76 hourly features, fit the normalizer and cache preprocessed images.")
        {
            cohort, task, clahe, CommonOptions.OutDir("Folder for the prepared store."), CommonOptions.Force(),
        });
    }
}
