using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse demo</c>: the whole chain on a built-in synthetic cohort.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A smoke run of a few minutes with tiny sizes." };
        var outDir = new Option<DirectoryInfo>("--out", "-o") { Description = "Working folder for every stage's output.", DefaultValueFactory = _ => new DirectoryInfo("clinfuse-demo") };
        return NotAvailable.Mark(new Command("demo", "Run synth -> extract -> prepare -> pretrain -> train -> evaluate -> robustness -> report on a synthetic cohort.")
        {
            quick, outDir, CommonOptions.Seed(),
        });
    }
}
