using System.CommandLine;
using ClinFuse.Data.Extraction;

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
        var export = new Option<string?>("--export") { Description = "Also write another tool's layout into <out>/medfuse: medfuse (root/, in-hospital-mortality/, phenotyping/)." };
        export.AcceptOnlyFromAmong("medfuse");
        var outDir = CommonOptions.OutDir("Folder for the cohort store.");
        var seed = CommonOptions.Seed();
        var force = CommonOptions.Force();
        var command = new Command("extract", "Extract ICU stays, episodes, task labels, linked chest X-rays and splits into a cohort store.")
        {
            mimic, cxr, outDir, compat, split, export, seed, force,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = new ExtractionOptions
            {
                MimicIv = r.GetValue(mimic)!.FullName,
                MimicCxr = r.GetValue(cxr)?.FullName,
                Out = r.GetValue(outDir)!.FullName,
                Compat = r.GetValue(compat) == "medfuse" ? CompatMode.MedFuse : CompatMode.None,
                Split = r.GetValue(split) == "medfuse" ? SplitMode.MedFuse : SplitMode.Seeded,
                Seed = r.GetValue(seed),
                ExportMedFuse = r.GetValue(export) == "medfuse",
                Force = r.GetValue(force),
            };
            var result = await Extractor.RunAsync(options, CommonOptions.Compute(r), ConsoleProgress.ForStderr(), ct);
            Console.Out.WriteLine(result.FlowTable);
            Console.Out.WriteLine(result.Skipped ? $"Cohort store {result.Folder} is up to date." : $"Cohort store written to {result.Folder}.");
            return 0;
        });
        return command;
    }
}
