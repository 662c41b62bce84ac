using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>Runs the extraction on the demo fixture once per test class (it takes about a second).</summary>
public abstract class DemoExtraction : IDisposable
{
    readonly TempFolder temp = Fixtures.TempFolder("clinfuse-extract-");

    protected DemoExtraction(CompatMode compat, SplitMode split)
    {
        Options = new ExtractionOptions
        {
            MimicIv = Fixtures.Path("mimic-iv-demo"), Out = temp.Combine("cohort"), Compat = compat, Split = split, ExportMedFuse = true, Seed = 7,
        };
        Result = Extractor.RunAsync(Options, new ComputeSettings(2), StageProgress.None).GetAwaiter().GetResult();
    }

    public ExtractionOptions Options { get; }
    public ExtractionResult Result { get; }
    public string Out => Result.Folder;
    public string Export => Path.Combine(Result.Folder, "medfuse");

    public void Dispose()
    {
        temp.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The demo extracted as MedFuse does it (bugs and split lists included).</summary>
public sealed class MedFuseDemo() : DemoExtraction(CompatMode.MedFuse, SplitMode.MedFuse);

/// <summary>The demo extracted with the default (fixed) behaviour and a seeded split.</summary>
public sealed class DefaultDemo() : DemoExtraction(CompatMode.None, SplitMode.Seeded);
