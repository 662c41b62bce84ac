using ClinFuse.Core.Tasks;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Evaluation;
using ClinFuse.Models;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;
using ClinFuse.Training.Inference;
using ClinFuse.Training.Modeling;

namespace ClinFuse.Training.Evaluation;

/// <summary>How predictions are scored: bootstrap resamples for the 95 % intervals and their seed.</summary>
/// <param name="Bootstrap">Resamples (0: no intervals).</param>
/// <param name="Seed">Seed of the resamples.</param>
public sealed record ScoringSettings(int Bootstrap = 1000, int Seed = 42);

/// <summary>One evaluated data set of a run: where its files went and the metrics.</summary>
/// <param name="PredictionsPath">The predictions CSV (Evaluation format).</param>
/// <param name="MetricsPath">The metrics.json.</param>
/// <param name="Metrics">The metrics.</param>
public sealed record EvaluatedSet(string PredictionsPath, string MetricsPath, MetricsResult Metrics);

/// <summary>What <c>clinfuse evaluate --run</c> asks for.</summary>
/// <param name="RunFolder">The finished run.</param>
/// <param name="Split">The split to predict.</param>
/// <param name="Scoring">Bootstrap settings.</param>
/// <param name="Compute">Threads.</param>
public sealed record RunEvaluationRequest(string RunFolder, Split Split, ScoringSettings Scoring, ComputeSettings Compute)
{
    /// <summary>Evaluate even when the store's files differ from those the run was trained with.</summary>
    public bool AllowStoreChange { get; init; }
}

/// <summary>
/// Predicts a split with a run's best checkpoint and scores it with the Evaluation library:
/// predictions in the <see cref="PredictionsFile"/> format, metrics.json in the layout the report reads.
/// </summary>
public static class RunEvaluation
{
    /// <summary>The predictions file of a split inside an output folder.</summary>
    public static string PredictionsFileName(Split split) => $"predictions-{Splits.Name(split)}.csv";

    /// <summary>The metrics file of a split: metrics.json for the test split (what the report reads), metrics-&lt;split&gt;.json otherwise.</summary>
    public static string MetricsFileName(Split split) => split == Split.Test ? MetricsJson.FileName : $"metrics-{Splits.Name(split)}.json";

    /// <summary>Evaluates the run's best checkpoint on a split of its prepared store; files go into the run folder.</summary>
    public static EvaluatedSet Run(RunEvaluationRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Scoring.Bootstrap < 0)
            throw new ClinFuseException($"--bootstrap must be 0 or more, got {request.Scoring.Bootstrap}.", "Use 1000 (the reference) or 0 for no confidence intervals.", ExitCodes.Usage);
        var run = TrainedRun.Open(request.RunFolder);
        var store = run.OpenStore();
        if (!request.AllowStoreChange && store.ChangeSince(run.StoreProvenance) is { } change)
            throw new ClinFuseException($"The prepared store {store.Folder} changed after the run in {run.Folder} was trained: {change}.",
                "Evaluate on the store the run was trained on (prepare it again with the same settings), train again on this store, or add --allow-store-change to score it anyway.");
        TorchRuntime.Initialize(request.Compute);
        using var model = run.LoadModel(request.Compute);
        using var split = store.OpenSplit(request.Split);
        var images = run.Config.UsesImages ? store.Images(request.Split) : null;
        try
        {
            var metadata = new PredictionMetadata(store.Labels.Task, run.Descriptor(store).Name, Splits.Name(request.Split), [KeyValuePair.Create("run", run.Folder)]);
            return Score(model, run, split, images, metadata, run.Folder, request.Scoring, request.Compute, cancellationToken);
        }
        finally
        {
            (images as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Predicts the samples of <paramref name="split"/> the run's validation mode selects (images from
    /// <paramref name="images"/>; null: every sample image-less), writes the predictions and metrics
    /// into <paramref name="outputFolder"/> and returns them.
    /// </summary>
    public static EvaluatedSet Score(TrainableModel model, TrainedRun run, PreparedSplit split, IImageSource? images, PredictionMetadata metadata,
        string outputFolder, ScoringSettings scoring, ComputeSettings compute, CancellationToken cancellationToken = default)
    {
        var selection = SampleSelection.Create(split, run.Config.ValidationData);
        var (predictions, _) = Predictor.Run(model, split, selection, images, run.Labels, run.Config.BatchSize, run.Config.PrefetchDepth, run.Seed, cancellationToken: cancellationToken);
        var set = ToPredictionSet(predictions, metadata);
        var splitName = Splits.Parse(metadata.Split, "prediction metadata");
        Directory.CreateDirectory(outputFolder);
        var predictionsPath = Path.Combine(outputFolder, PredictionsFileName(splitName));
        PredictionsFile.Write(predictionsPath, set);
        var metrics = Evaluator.Evaluate(set, scoring.Bootstrap, scoring.Seed, compute.ParallelOptions(cancellationToken), predictionsPath);
        var metricsPath = Path.Combine(outputFolder, MetricsFileName(splitName));
        MetricsJson.Write(metricsPath, metrics);
        return new EvaluatedSet(predictionsPath, metricsPath, metrics);
    }

    /// <summary>The Evaluation library's column-major form of <paramref name="predictions"/> (stay ids as sample ids).</summary>
    public static PredictionSet ToPredictionSet(Predictions predictions, PredictionMetadata metadata)
    {
        int labels = predictions.LabelNames.Count, rows = predictions.Count;
        var truth = new byte[labels][];
        var probabilities = new double[labels][];
        for (int l = 0; l < labels; l++)
        {
            truth[l] = new byte[rows];
            probabilities[l] = new double[rows];
        }
        for (int i = 0; i < rows; i++)
            for (int l = 0; l < labels; l++)
            {
                truth[l][i] = predictions.Truth[i * labels + l] > 0.5f ? (byte)1 : (byte)0;
                probabilities[l][i] = predictions.Probabilities[i * labels + l];
            }
        var ids = new string[rows];
        for (int i = 0; i < rows; i++) ids[i] = predictions.StayIds[i].ToString(CultureInfo.InvariantCulture);
        return new PredictionSet(ids, predictions.LabelNames, truth, probabilities, metadata);
    }
}
