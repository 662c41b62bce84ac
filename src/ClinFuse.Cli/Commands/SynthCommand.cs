using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse synth</c>: a synthetic MIMIC-IV + MIMIC-CXR-JPG cohort with oracle truth.</summary>
public static class SynthCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients") { Description = "Number of patients to generate.", DefaultValueFactory = _ => 500 };
        var images = new Option<string>("--images") { Description = "Images to write: none, small (~512 px wide) or full (~2.5k x 3k).", DefaultValueFactory = _ => "small" };
        images.AcceptOnlyFromAmong("none", "small", "full");
        return NotAvailable.Mark(new Command("synth",
            "Write a synthetic cohort in the MIMIC-IV v2.2 and MIMIC-CXR-JPG 2.0.0 layouts, with planted signal and oracle probabilities under truth/.")
        {
            CommonOptions.OutDir("Folder to write the cohort into."), patients, CommonOptions.Seed(), images, CommonOptions.Force(),
        });
    }
}
