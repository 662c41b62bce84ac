using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse extract</c>: MIMIC-IV + MIMIC-CXR-JPG to task cohorts.</summary>
internal static class ExtractCommand
{
    public static Command Create()
    {
        var mimic = new Option<DirectoryInfo>("--mimic-iv") { Description = "MIMIC-IV folder (v1.0 core/, or v2.x/v3.x hosp/ + icu/).", Required = true };
        var cxr = CommonOptions.MimicCxr("MIMIC-CXR-JPG folder (metadata, split and files/).");
        var compat = CommonOptions.Compat("Reproduce a reference implementation's behaviour, bugs included: none (default) or medfuse.");
        var split = CommonOptions.Choice("--split", "Subject split: seeded, or medfuse (MedFuse's subject lists).", [("seeded", SplitMode.Seeded), ("medfuse", SplitMode.MedFuse)], SplitMode.Seeded);
        var validation = new Option<double?>("--validation-fraction")
        {
            Description = "Seeded split: share of the non-test subjects in validation (default 0.1, MedFuse's). A small cohort needs more to select epochs on.",
        };
        validation.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is double v && !(v > 0 && v < 1))
                result.AddError($"--validation-fraction must lie strictly between 0 and 1, got {v}.");
        });
        var export = new Option<string?>("--export") { Description = "Also write another tool's layout into <out>/medfuse: medfuse (root/, in-hospital-mortality/, phenotyping/)." };
        export.AcceptOnlyFromAmong("medfuse");
        var outDir = CommonOptions.OutDir("Folder for the cohort store.");
        var seed = CommonOptions.Seed();
        var force = CommonOptions.Force();
        var command = new Command("extract", "Extract ICU stays, episodes, task labels, linked chest X-rays and splits into a cohort store.")
        {
            mimic, cxr, outDir, compat, split, validation, export, seed, force,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = new ExtractionOptions
            {
                MimicIv = r.GetValue(mimic)!.FullName,
                MimicCxr = r.GetValue(cxr)?.FullName,
                Out = r.GetValue(outDir)!.FullName,
                Compat = r.GetValue(compat) ?? CompatMode.None,
                Split = r.GetValue(split),
                Seed = r.GetValue(seed),
                ValidationFraction = r.GetValue(validation),
                ExportMedFuse = r.GetValue(export) == "medfuse",
                Force = r.GetValue(force),
            };
            if (options.ValidationFraction is not null && options.Split == SplitMode.MedFuse)
                throw new ClinFuseException("--validation-fraction applies to the seeded split; MedFuse's split takes its validation subjects from its own list.",
                    "Leave --validation-fraction out, or use --split seeded.", ExitCodes.Usage);
            var result = await Extractor.RunAsync(options, CommonOptions.Compute(r), CommonOptions.Progress(r), ct);
            var output = r.InvocationConfiguration.Output;
            await output.WriteLineAsync(result.FlowTable);
            await output.WriteLineAsync(result.Skipped ? $"Cohort store {result.Folder} is up to date." : $"Cohort store written to {result.Folder}.");
            return 0;
        });
        return command;
    }
}
