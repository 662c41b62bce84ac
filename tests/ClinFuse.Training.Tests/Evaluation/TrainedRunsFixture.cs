using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Synthetic;
using ClinFuse.Features.Images;
using ClinFuse.Models.Networks;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Tests.Evaluation;

/// <summary>
/// A tiny synthetic cohort (120 patients, chest X-rays included) extracted and prepared for
/// in-hospital mortality, with two finished one-epoch runs on it: a series-only model and an
/// attention fusion model, both with tiny network sizes. Built once per test process (the evaluation
/// and robustness test classes share it) and deleted when the process exits, or by the next test
/// process when this one ended without running its exit handlers.
/// </summary>
public sealed class TrainedRunsFixture
{
    static readonly Lazy<TrainedRunsFixture> Instance = new(() =>
    {
        var fixture = new TrainedRunsFixture();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => fixture.temp.Dispose();
        return fixture;
    });

    /// <summary>The shared instance (only use it from tests in the libtorch collection: building it trains models).</summary>
    public static TrainedRunsFixture Shared => Instance.Value;

    const string TinyConfig = """
        { "LearningRate": 0.001, "Epochs": 1, "BatchSize": 8, "PrefetchDepth": 1,
          "Architecture": { "EhrHidden": 8, "EhrLayers": 1, "TransformerHeads": 2, "TransformerFeedForward": 16 } }
        """;

    readonly TempFolder temp = CreateTemp();

    const string TempPrefix = "clinfuse-evaluate-";

    /// <summary>
    /// A folder named after this process. The test host does not always run exit handlers, so folders
    /// (about 1 GB each) left by test processes that are gone are deleted here.
    /// </summary>
    static TempFolder CreateTemp()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            var rest = Path.GetFileName(folder)[TempPrefix.Length..];
            int dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest[..dash], out int pid) || IsAlive(pid)) continue;
            try { Directory.Delete(folder, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return Fixtures.TempFolder($"{TempPrefix}{Environment.ProcessId}-");
    }

    static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
    }

    TrainedRunsFixture()
    {
        var compute = new ComputeSettings(1);
        var synth = temp.Combine("synth");
        SyntheticCohortGenerator.Generate(new SynthOptions(120, 1), synth, force: false, compute, StageProgress.None);
        MimicIvFolder = Path.Combine(synth, "mimic-iv");
        MimicCxrFolder = Path.Combine(synth, "mimic-cxr-jpg");
        var cohort = Extractor.RunAsync(new ExtractionOptions
        {
            MimicIv = MimicIvFolder,
            MimicCxr = MimicCxrFolder,
            Out = temp.Combine("cohort"),
            Seed = 7,
        }, compute, StageProgress.None).GetAwaiter().GetResult().Folder;
        CohortFolder = cohort;
        StoreFolder = PrepareStage.Run(new PrepareOptions(cohort, ClinicalTask.InHospitalMortality, temp.Combine("store"), null, new ImagePreprocessing()),
            compute, StageProgress.None).Folder;
        var config = temp.Combine("tiny.json");
        File.WriteAllText(config, TinyConfig);
        EhrRun = temp.Combine("ehr-run");
        TrainingRun.Pretrain(new TrainingRequest(StoreFolder, EhrRun, 5, compute) { ConfigFile = config }, cxr: false, StageProgress.None).Network.Dispose();
        AttentionRun = temp.Combine("attention-run");
        TrainingRun.Train(new TrainingRequest(StoreFolder, AttentionRun, 5, compute) { ConfigFile = config }, ModelKind.Attention, StageProgress.None).Network.Dispose();
    }

    /// <summary>The synthetic MIMIC-IV folder the cohort was extracted from (seed 7).</summary>
    public string MimicIvFolder { get; }

    /// <summary>The synthetic MIMIC-CXR-JPG folder linked by the extraction.</summary>
    public string MimicCxrFolder { get; }

    /// <summary>The cohort store the prepared store was made from.</summary>
    public string CohortFolder { get; }

    /// <summary>The prepared IHM store.</summary>
    public string StoreFolder { get; }

    /// <summary>A finished series-only run.</summary>
    public string EhrRun { get; }

    /// <summary>A finished attention-fusion run.</summary>
    public string AttentionRun { get; }

    /// <summary>A scratch path inside the fixture's folder.</summary>
    public string Scratch(string name) => temp.Combine(name);

    /// <summary>A copy of a run folder (its top-level files), so a test can write into it freely.</summary>
    public string CopyRun(string run, string name)
    {
        var copy = temp.Combine(name);
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(run)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }
}
