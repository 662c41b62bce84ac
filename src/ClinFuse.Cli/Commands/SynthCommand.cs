using ClinFuse.Data.Mimic;
using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Data.Synthetic;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse synth</c>: a synthetic MIMIC-IV + MIMIC-CXR-JPG cohort with oracle truth.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients") { Description = "Number of patients to generate.", DefaultValueFactory = _ => 500 };
        var images = CommonOptions.Choice("--images", "Images to write: none, small (~512 px wide) or full (~2.5k x 3k).",
            [("none", SynthImages.None), ("small", SynthImages.Small), ("full", SynthImages.Full)], SynthImages.Small);
        var layout = CommonOptions.Choice("--layout", "MIMIC-IV layout: v2 (v2.2: hosp/ + icu/, csv.gz) or v1 (v1.0: core/ + hosp/ + icu/, plain csv).",
            [("v2", MimicIvLayout.V2), ("v1", MimicIvLayout.V1)], MimicIvLayout.V2);
        var outDir = CommonOptions.OutDir("Folder to write the cohort into (mimic-iv/, mimic-cxr-jpg/, truth/).");
        var seed = CommonOptions.Seed();
        var force = CommonOptions.Force();
        var command = new Command("synth",
            "Write a synthetic cohort in the MIMIC-IV v2.2 and MIMIC-CXR-JPG 2.0.0 layouts, with planted signal and oracle probabilities under truth/.")
        {
            outDir, patients, seed, images, layout, force,
        };
        command.SetAction((ParseResult r, CancellationToken ct) =>
        {
            var options = new SynthOptions(
                r.GetValue(patients),
                r.GetValue(seed),
                r.GetValue(images),
                r.GetValue(layout));
            var result = SyntheticCohortGenerator.Generate(options, r.GetValue(outDir)!.FullName, r.GetValue(force),
                CommonOptions.Compute(r), CommonOptions.Progress(r), ct);
            var output = r.InvocationConfiguration.Output;
            var ihm = result.Oracle.InHospitalMortality;
            var pheno = result.Oracle.Phenotyping;
            output.WriteLine($"Wrote {result.Folder}");
            output.WriteLine($"  ICU stays {result.Oracle.IcuStays:N0}; IHM stays {ihm.Stays:N0} (prevalence {ihm.Labels[0].Prevalence:P1}, paired {ihm.PairedFraction:P1}); phenotyping stays {pheno.Stays:N0} (paired {pheno.PairedFraction:P1})");
            output.WriteLine($"  Oracle AUROC IHM {ihm.MacroAurocOracle:F3} (fused {ihm.MacroAurocFused:F3}, series only {ihm.MacroAurocSeriesOnly:F3}, images only {ihm.MacroAurocImageOnly:F3}); phenotyping macro {pheno.MacroAurocOracle:F3} (fused {pheno.MacroAurocFused:F3}, series {pheno.MacroAurocSeriesOnly:F3}, images {pheno.MacroAurocImageOnly:F3})");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
