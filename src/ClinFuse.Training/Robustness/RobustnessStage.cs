using ClinFuse.Core.Tasks;
using System.Globalization;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Evaluation;
using ClinFuse.Models;
using ClinFuse.Models.Networks;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Runs;

namespace ClinFuse.Training.Robustness;

/// <summary>The paper's robustness experiments.</summary>
public enum RobustnessProtocol
{
    /// <summary>The trained model tested on noisy series and images (Table V).</summary>
    CleanTrain,
    /// <summary>A new model with the same configuration trained and tested on noisy data, per level (Table IV).</summary>
    NoisyTrain,
    /// <summary>The trained model tested with every chest X-ray removed.</summary>
    MissingImage,
}

/// <summary>What <c>clinfuse robustness</c> asks for.</summary>
/// <param name="Runs">Finished run folders.</param>
/// <param name="Protocol">The experiment.</param>
/// <param name="Levels">Noise levels in percent (ignored by <see cref="RobustnessProtocol.MissingImage"/>).</param>
/// <param name="OutFolder">Where results go; null: inside each run folder. With several runs, one subfolder per run.</param>
/// <param name="Seed">Seed of the noise and of the bootstrap.</param>
/// <param name="Scoring">Bootstrap settings.</param>
/// <param name="Compute">Threads.</param>
public sealed record RobustnessRequest(IReadOnlyList<string> Runs, RobustnessProtocol Protocol, IReadOnlyList<int> Levels, string? OutFolder, int Seed, ScoringSettings Scoring, ComputeSettings Compute)
{
    /// <summary>Training episodes and images sampled for the noise statistics (the paper's 1,000).</summary>
    public int StatisticsSamples { get; init; } = Features.TimeSeries.SeriesNoiseStatistics.DefaultSampleCount;

    /// <summary>Compute every level again, even those whose metrics.json is there and readable.</summary>
    public bool Force { get; init; }
}

/// <summary>One result folder of a sweep.</summary>
/// <param name="Run">The run it belongs to.</param>
/// <param name="Level">Noise level in percent (null for missing-image).</param>
/// <param name="Folder">Where metrics.json and the predictions are.</param>
/// <param name="Skipped">True when metrics.json already existed.</param>
/// <param name="Metrics">The metrics (read back when skipped).</param>
public sealed record RobustnessOutcome(string Run, int? Level, string Folder, bool Skipped, MetricsResult Metrics);

/// <summary>
/// Runs the robustness protocols over finished runs. Outputs follow the folder convention of
/// <c>clinfuse report</c> (<see cref="RobustnessLayout"/>): <c>robustness/clean-train-noisy-test/&lt;level&gt;/</c>
/// and <c>robustness/noisy-train-test/&lt;level&gt;/</c>; missing-image results go to
/// <c>missing-image/</c> next to the run's metrics.json. A level whose metrics.json exists is skipped,
/// so an interrupted sweep is resumed by running the command again.
/// </summary>
public static class RobustnessStage
{
    /// <summary>Runs <paramref name="request"/>; user errors are <see cref="ClinFuseException"/>s.</summary>
    public static IReadOnlyList<RobustnessOutcome> Run(RobustnessRequest request, IStageProgress progress, CancellationToken cancellationToken = default)
    {
        if (request.Runs.Count == 0) throw new ClinFuseException("No run folder given.", "Pass --run RUN (repeatable).", ExitCodes.Usage);
        foreach (int level in request.Levels)
            if (level is < 0 or > 100)
                throw new ClinFuseException($"Noise level {level} is outside 0-100 (percent).", "Give levels in percent, e.g. --levels 10 20 30.", ExitCodes.Usage);
        if (request.Protocol != RobustnessProtocol.MissingImage && request.Levels.Count == 0)
            throw new ClinFuseException("No noise level given.", "Pass --levels, e.g. --levels 10 20 30 40 50 60.", ExitCodes.Usage);
        // Every run is checked before any work starts, so a typo in the last one costs nothing.
        var runs = request.Runs.Select(TrainedRun.Open).ToList();
        var outcomes = new List<RobustnessOutcome>();
        TorchRuntime.Initialize(request.Compute);
        foreach (var run in runs)
        {
            var output = OutputFolder(request, run);
            outcomes.AddRange(request.Protocol switch
            {
                RobustnessProtocol.MissingImage => [MissingImage(run, output, request, progress, cancellationToken)],
                RobustnessProtocol.CleanTrain => CleanTrain(run, output, request, progress, cancellationToken),
                _ => NoisyTrain(run, output, request, progress, cancellationToken),
            });
        }
        return outcomes;
    }

    static string OutputFolder(RobustnessRequest request, TrainedRun run) =>
        request.OutFolder is null ? run.Folder
        : request.Runs.Count == 1 ? Path.GetFullPath(request.OutFolder)
        : Path.Combine(Path.GetFullPath(request.OutFolder), Path.GetFileName(run.Folder));

    /// <summary>The levels already done (their outcomes, read back) and those still to do.</summary>
    static (List<RobustnessOutcome> Done, List<int> Pending) Pending(TrainedRun run, string output, string protocol, RobustnessRequest request, IStageProgress progress)
    {
        var done = new List<RobustnessOutcome>();
        var pending = new List<int>();
        foreach (int level in request.Levels)
        {
            if (Done(run, level, RobustnessLayout.LevelFolder(output, protocol, level), request, progress) is { } outcome) done.Add(outcome);
            else pending.Add(level);
        }
        return (done, pending);
    }

    /// <summary>
    /// The outcome of a level already done: its metrics.json exists and reads back (a result folder is
    /// written last-file-atomically, so that is the stage's skip rule); null when it must be computed,
    /// always under <see cref="RobustnessRequest.Force"/>.
    /// </summary>
    static RobustnessOutcome? Done(TrainedRun run, int? level, string folder, RobustnessRequest request, IStageProgress progress)
    {
        var metrics = Path.Combine(folder, MetricsJson.FileName);
        if (request.Force || !File.Exists(metrics)) return null;
        try
        {
            return new RobustnessOutcome(run.Folder, level, folder, true, MetricsJson.Read(metrics));
        }
        catch (ClinFuseException e)
        {
            progress.Info($"{folder}: {e.Message}; computing it again.");
            return null;
        }
    }

    static PredictionMetadata Metadata(TrainedRun run, PreparedStore store, string protocol, int? level) =>
        new(store.Labels.Task, run.Descriptor(store).Name, Splits.Name(Split.Test),
        [
            KeyValuePair.Create("run", run.Folder),
            KeyValuePair.Create("protocol", protocol),
            KeyValuePair.Create("noise_percent", level is int l ? RobustnessLayout.LevelName(l) : "none"),
        ]);

    static RobustnessOutcome MissingImage(TrainedRun run, string output, RobustnessRequest request, IStageProgress progress, CancellationToken cancellationToken)
    {
        if (run.Config.Model is ModelKind.UniEhr or ModelKind.UniCxr)
            throw new ClinFuseException($"The run {run.Folder} is a {run.Config.Model} model: removing images tests nothing for it.", "Run the missing-image protocol on fusion models.");
        var folder = Path.Combine(output, RobustnessLayout.MissingImageFolder);
        if (Done(run, null, folder, request, progress) is { } done)
        {
            progress.Info($"{folder}: done, skipped.");
            return done;
        }
        var store = run.OpenStore();
        using var model = run.LoadModel(request.Compute);
        using var test = store.OpenSplit(Split.Test);
        var result = RunEvaluation.Score(model, run, test, images: null, Metadata(run, store, RobustnessLayout.MissingImageFolder, null), folder, request.Scoring, request.Compute, cancellationToken);
        progress.Info($"{folder}: AUROC {result.Metrics.Summary.Auroc.Macro.Value:0.000} with every image removed.");
        return new RobustnessOutcome(run.Folder, null, folder, false, result.Metrics);
    }

    static List<RobustnessOutcome> CleanTrain(TrainedRun run, string output, RobustnessRequest request, IStageProgress progress, CancellationToken cancellationToken)
    {
        var (outcomes, pending) = Pending(run, output, RobustnessLayout.CleanTrainNoisyTest, request, progress);
        progress.Info($"{run.Folder}: clean-train, noisy test at {string.Join(", ", request.Levels)} %; {request.Levels.Count - pending.Count} level(s) already done.");
        if (pending.Count == 0) return outcomes;
        var store = run.OpenStore();
        using var noisy = NoisyData.Open(store, (ulong)request.Seed, progress, request.StatisticsSamples, cancellationToken);
        using var model = run.LoadModel(request.Compute);
        foreach (int level in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var folder = RobustnessLayout.LevelFolder(output, RobustnessLayout.CleanTrainNoisyTest, level);
            var splitPath = Path.Combine(folder, PreparedStore.SplitFile(Split.Test));
            double fraction = level / 100.0;
            noisy.WriteSplit(Split.Test, fraction, (ulong)request.Seed, splitPath, request.Compute, progress, cancellationToken);
            EvaluatedSet result;
            using (var test = PreparedSplit.Open(splitPath))
            {
                var images = run.Config.UsesImages ? noisy.NoisyImages(fraction, (ulong)request.Seed)(store.Folder, Split.Test) : null;
                result = RunEvaluation.Score(model, run, test, images, Metadata(run, store, RobustnessLayout.CleanTrainNoisyTest, level), folder, request.Scoring, request.Compute, cancellationToken);
            }
            // The noisy split is derived data as large as the test split: the predictions keep what the level produced.
            File.Delete(splitPath);
            progress.Info($"{folder}: AUROC {result.Metrics.Summary.Auroc.Macro.Value:0.000}");
            outcomes.Add(new RobustnessOutcome(run.Folder, level, folder, false, result.Metrics));
        }
        return outcomes;
    }

    static List<RobustnessOutcome> NoisyTrain(TrainedRun run, string output, RobustnessRequest request, IStageProgress progress, CancellationToken cancellationToken)
    {
        var (outcomes, pending) = Pending(run, output, RobustnessLayout.NoisyTrainTest, request, progress);
        var store = run.OpenStore();
        int trainSamples;
        using (var train = store.OpenSplit(Split.Train)) trainSamples = SampleSelection.Create(train, run.Config.TrainData).Count;
        progress.Info($"{run.Folder}: noisy-train plan: {pending.Count} of {request.Levels.Count} level(s) to do ({string.Join(", ", pending)} %), " +
                      $"each a new {run.Config.Model} model trained up to {run.Config.TrainingIterations} epochs on {trainSamples} noisy training samples " +
                      $"(about {(long)pending.Count * run.Config.TrainingIterations * trainSamples:N0} sample-epochs), then tested on the noisy test split.");
        if (pending.Count == 0) return outcomes;
        using var noisy = NoisyData.Open(store, (ulong)request.Seed, progress, request.StatisticsSamples, cancellationToken);
        foreach (int level in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var folder = RobustnessLayout.LevelFolder(output, RobustnessLayout.NoisyTrainTest, level);
            var dataFolder = Path.Combine(folder, "data");
            double fraction = level / 100.0;
            var imageOpener = noisy.NoisyImages(fraction, (ulong)request.Seed);
            foreach (var split in Splits.All)
            {
                // A split file is written atomically: one that exists is complete (resume).
                var path = Path.Combine(dataFolder, PreparedStore.SplitFile(split));
                if (request.Force || !File.Exists(path)) noisy.WriteSplit(split, fraction, (ulong)request.Seed, path, request.Compute, progress, cancellationToken);
            }
            using var train = PreparedSplit.Open(Path.Combine(dataFolder, PreparedStore.SplitFile(Split.Train)));
            using var validation = PreparedSplit.Open(Path.Combine(dataFolder, PreparedStore.SplitFile(Split.Validation)));
            using var test = PreparedSplit.Open(Path.Combine(dataFolder, PreparedStore.SplitFile(Split.Test)));
            var trainSelection = SampleSelection.Create(train, run.Config.TrainData);
            var validationSelection = SampleSelection.Create(validation, run.Config.ValidationData);
            var modelFolder = Path.Combine(folder, "model");
            var layout = RunFolder.At(modelFolder);
            var state = !request.Force && File.Exists(layout.StateFile) ? RunFolder.OpenForResume(modelFolder).ReadState() : null;
            // A baseline's first phase writes its state in pretrain/ before the run folder has its own.
            bool started = state is not null || (!request.Force && File.Exists(layout.PretrainPhase.StateFile));
            var job = new TrainingJob(run.Config, run.Labels,
                new SplitData(train, trainSelection, trainSelection.WithImages ? imageOpener(store.Folder, Split.Train) : null),
                new SplitData(validation, validationSelection, validationSelection.WithImages ? imageOpener(store.Folder, Split.Validation) : null),
                modelFolder, run.Seed, request.Compute)
            {
                Encoders = [.. run.Encoders.Where(e => File.Exists(e.Checkpoint))],
                Descriptor = run.Descriptor(store),
                Provenance = new JsonObject
                {
                    ["data"] = dataFolder,
                    ["clean_store"] = store.Folder,
                    ["task"] = store.Labels.Task,
                    ["noise_percent"] = level,
                    ["noise_seed"] = request.Seed,
                    ["normalizer"] = store.Provenance()["normalizer"]?.DeepClone(),
                },
                Resume = started && state is not { Finished: true },
                // A folder without state.json is a start that failed before its first write.
                Force = !started,
            };
            TrainableModel model;
            if (state is { Finished: true })
                model = ModelFactory.Load(run.Config.Model, layout.BestWeights, TorchRuntime.DeviceOf(request.Compute));
            else
            {
                progress.Info($"{folder}: training on {trainSelection.Count} samples with {level} % noise.");
                model = Trainer.Run(job, progress, cancellationToken).Model;
            }
            using (model)
            {
                var images = run.Config.UsesImages ? imageOpener(store.Folder, Split.Test) : null;
                var result = RunEvaluation.Score(model, run, test, images, Metadata(run, store, RobustnessLayout.NoisyTrainTest, level), folder, request.Scoring, request.Compute, cancellationToken);
                progress.Info($"{folder}: AUROC {result.Metrics.Summary.Auroc.Macro.Value:0.000}");
                outcomes.Add(new RobustnessOutcome(run.Folder, level, folder, false, result.Metrics));
            }
        }
        return outcomes;
    }

}
