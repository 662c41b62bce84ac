using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse extract</c>: MIMIC-IV + MIMIC-CXR-JPG to task cohorts.</summary>
public static class ExtractCommand
{
    public static Command Create()
    {
        var mimic = new Option<DirectoryInfo>("--mimic-iv") { Description = "MIMIC-IV folder (v1.0 core/, or v2.x/v3.x hosp/ + icu/).", Required = true };
        var cxr = new Option<DirectoryInfo?>("--mimic-cxr") { Description = "MIMIC-CXR-JPG folder (metadata, split and files/)." };
        var compat = new Option<string>("--compat") { Description = "Reproduce a reference implementation's behaviour, bugs included: none or medfuse.", DefaultValueFactory = _ => "none" };
        compat.AcceptOnlyFromAmong("none", "medfuse");
        var split = new Option<string>("--split") { Description = "Subject split: seeded, or medfuse (MedFuse's subject lists).", DefaultValueFactory = _ => "seeded" };
        split.AcceptOnlyFromAmong("seeded", "medfuse");
        return NotAvailable.Mark(new Command("extract", "Extract ICU stays, episodes, task labels, linked chest X-rays and splits into a cohort store.")
        {
            mimic, cxr, CommonOptions.OutDir("Folder for the cohort store."), compat, split, CommonOptions.Seed(), CommonOptions.Force(),
        });
    }
}
