using ClinFuse.Core;
using ClinFuse.Core.Randomness;
using ClinFuse.Inference.Calibration;
using ClinFuse.Models;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Evaluation;
using ClinFuse.Training.Modeling;
using ClinFuse.Preparation;
using static TorchSharp.torch;

namespace ClinFuse.Inference.Prediction;

/// <summary>
/// A finished run loaded for prediction on new stays: the best checkpoint in evaluation mode, the
/// run's own preprocessing and, when <c>calibrate</c> stored one, its temperature. Stays are predicted
/// in batches of the run's batch size, in the order given, exactly as <c>evaluate</c> predicts a split.
/// Thread-safe: calls share one model under a lock.
/// </summary>
public sealed class RunPredictor : IDisposable
{
    readonly object gate = new();
    readonly TrainableModel model;

    RunPredictor(TrainedRun run, PreparedStore store, RunPreprocessing preprocessing, TrainableModel model, TemperatureScaling? calibration)
    {
        Run = run;
        Store = store;
        Preprocessing = preprocessing;
        this.model = model;
        Calibration = calibration;
        ModelName = run.Descriptor(store).Name;
    }

    /// <summary>The run.</summary>
    public TrainedRun Run { get; }

    /// <summary>The prepared store the run was trained on.</summary>
    public PreparedStore Store { get; }

    /// <summary>The run's preprocessing.</summary>
    public RunPreprocessing Preprocessing { get; }

    /// <summary>The stored calibration, or null.</summary>
    public TemperatureScaling? Calibration { get; }

    /// <summary>The name the run's results are reported under.</summary>
    public string ModelName { get; }

    /// <summary>The loaded model (for explanations; use it under <see cref="Exclusive"/>).</summary>
    public TrainableModel Model => model;

    /// <summary>Opens <paramref name="runFolder"/>, initialises libtorch with <paramref name="compute"/> and loads the best checkpoint.</summary>
    public static RunPredictor Open(string runFolder, ComputeSettings compute)
    {
        var run = TrainedRun.Open(runFolder);
        if (run.Config.IsBaseline)
            throw new ClinFuseException($"{run.Folder} is a {run.Config.Model} baseline run; predict and serve take the fusion models and their unimodal variants.",
                "Use a run of `clinfuse train --model attention|medfuse|early|ehr-only|cxr-only` or `clinfuse pretrain`.", ExitCodes.NotImplemented);
        var store = run.OpenStore();
        var preprocessing = RunPreprocessing.For(run, store);
        var calibration = TemperatureScaling.TryLoad(run.Folder);
        TorchRuntime.Initialize(compute);
        var model = run.LoadModel(compute);
        model.Network.eval();
        return new RunPredictor(run, store, preprocessing, model, calibration);
    }

    /// <summary>Runs <paramref name="action"/> with the model held exclusively.</summary>
    public T Exclusive<T>(Func<TrainableModel, T> action)
    {
        lock (gate) return action(model);
    }

    /// <summary>Preprocesses and predicts <paramref name="stays"/> (preprocessed a batch at a time, in parallel within a batch).</summary>
    public IEnumerable<StayPrediction> Predict(IEnumerable<StayInput> stays, ParallelOptions? parallel = null)
    {
        parallel ??= new ParallelOptions();
        foreach (var chunk in stays.Chunk(Run.Config.BatchSize))
        {
            var inputs = new ModelInput[chunk.Length];
            Parallel.For(0, chunk.Length, parallel, i => inputs[i] = Preprocessing.ToModelInput(chunk[i]));
            foreach (var prediction in PredictBatch(inputs)) yield return prediction;
        }
    }

    /// <summary>Predicts model inputs in batches of the run's batch size.</summary>
    public IEnumerable<StayPrediction> Predict(IEnumerable<ModelInput> inputs)
    {
        foreach (var chunk in inputs.Chunk(Run.Config.BatchSize))
            foreach (var prediction in PredictBatch(chunk)) yield return prediction;
    }

    /// <summary>Predicts one batch (any size) of model inputs.</summary>
    public IReadOnlyList<StayPrediction> PredictBatch(IReadOnlyList<ModelInput> batch)
    {
        if (batch.Count == 0) return [];
        foreach (var input in batch)
            if (Preprocessing.RequiresImage && input.Image is null)
                throw new ClinFuseException($"Stay {input.Id} has no chest X-ray, but the {ModelName} model was trained and evaluated on stays with one.",
                    "Give the stay's image, or use a model that takes every stay (attention, medfuse, ehr-only).");
        var loaded = ToLoadedBatch(batch);
        int labels = Preprocessing.Labels.Count;
        float[] probabilities;
        List<float[]> attention;
        lock (gate)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            using var generator = new Generator(Seeds.Derive(Run.Seed, "predict"));
            var output = model.Predict(BatchTensors.ToFusionBatch(loaded, model.Device, withLabels: false), generator);
            probabilities = output.Probabilities.cpu().contiguous().data<float>().ToArray();
            attention = [.. output.AttentionWeights.Select(w => w.mean([1]).cpu().contiguous().data<float>().ToArray())];
        }
        var result = new StayPrediction[batch.Count];
        for (int b = 0; b < batch.Count; b++)
        {
            var p = new double[labels];
            for (int l = 0; l < labels; l++) p[l] = probabilities[b * labels + l];
            var tokens = new List<TokenAttention>(attention.Count);
            for (int layer = 0; layer < attention.Count; layer++)
            {
                var w = attention[layer];
                int at = b * 4;
                tokens.Add(new TokenAttention(layer, [[w[at], w[at + 1]], [w[at + 2], w[at + 3]]]));
            }
            result[b] = new StayPrediction(batch[b].Id, p, Calibration?.Apply(p), loaded.HasImage[b], tokens, batch[b].Truth);
        }
        return result;
    }

    /// <summary>The host batch of <paramref name="batch"/>: series zero-padded to the longest stay, images of the stays that have one.</summary>
    public LoadedBatch ToLoadedBatch(IReadOnlyList<ModelInput> batch)
    {
        int features = Preprocessing.Discretizer.ColumnCount, labels = Preprocessing.Labels.Count;
        int maxSteps = Math.Max(1, batch.Max(b => b.Steps));
        var series = new float[batch.Count * maxSteps * features];
        var lengths = new long[batch.Count];
        var hasImage = new bool[batch.Count];
        int pixels = 3 * Preprocessing.CropSize * Preprocessing.CropSize;
        var images = new List<float>();
        for (int b = 0; b < batch.Count; b++)
        {
            var input = batch[b];
            if (input.Series.Length != input.Steps * features)
                throw new ArgumentException($"Stay {input.Id}: {input.Series.Length} values for {input.Steps} steps × {features} features.");
            input.Series.CopyTo(series, b * maxSteps * features);
            lengths[b] = Math.Max(input.Steps, 1);
            if (Preprocessing.GivesImages && input.Image is { } image)
            {
                if (image.Length != pixels) throw new ArgumentException($"Stay {input.Id}: image of {image.Length} values, expected {pixels}.");
                hasImage[b] = true;
                images.AddRange(image);
            }
        }
        var host = new HostBatch([.. Enumerable.Range(0, batch.Count)], new long[batch.Count], series, lengths, maxSteps, features,
            [.. hasImage.Select((has, i) => has ? i : -1)], new float[batch.Count * labels]);
        return new LoadedBatch(host, hasImage, [.. images], Preprocessing.GivesImages ? Preprocessing.CropSize : 0);
    }

    /// <summary>Releases the model.</summary>
    public void Dispose() => model.Dispose();
}
