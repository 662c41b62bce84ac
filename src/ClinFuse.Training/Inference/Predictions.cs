using ClinFuse.Core.Randomness;
using ClinFuse.Models.Networks;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;
using ClinFuse.Training.Modeling;
using static TorchSharp.torch;

namespace ClinFuse.Training.Inference;

/// <summary>Per-sample predictions of a split.</summary>
/// <param name="StayIds">Stay per row.</param>
/// <param name="LabelNames">Column names.</param>
/// <param name="Probabilities">Row-major [rows × labels].</param>
/// <param name="Truth">Row-major [rows × labels], 0 or 1.</param>
public sealed record Predictions(long[] StayIds, IReadOnlyList<string> LabelNames, float[] Probabilities, float[] Truth)
{
    /// <summary>Number of rows.</summary>
    public int Count => StayIds.Length;
}

/// <summary>Runs a model over a split in evaluation mode.</summary>
internal static class Predictor
{
    /// <summary>
    /// Probabilities of every selected sample, in selection order, and the mean validation loss over
    /// batches of <paramref name="loss"/> when given. Sampling models
    /// (CARD) draw from a generator derived from <paramref name="runSeed"/>, so a checkpoint's
    /// predictions are the same in training's validation and in a later evaluation.
    /// </summary>
    public static (Predictions Predictions, double MeanLoss) Run(
        TrainableModel model, PreparedSplit split, SampleSelection selection, IImageSource? images, IReadOnlyList<string> labelNames,
        int batchSize, int prefetchDepth, ulong runSeed, Func<FusionBatch, FusionOutput, Generator, Tensor>? loss = null,
        CancellationToken cancellationToken = default)
    {
        int labels = split.LabelCount;
        var stays = new long[selection.Count];
        var probabilities = new float[selection.Count * labels];
        var truth = new float[selection.Count * labels];
        var plan = EpochPlan.Batches(selection.Count, batchSize, shuffle: false, dropLast: false, runSeed: 0, epoch: 0);
        var network = model.Network;
        bool wasTraining = network.training;
        network.eval();
        double lossSum = 0;
        int row = 0;
        try
        {
            using var _ = no_grad();
            using var generator = new Generator(Seeds.Derive(runSeed, "predict"));
            foreach (var batch in BatchTensors.Stream(split, selection, images, plan, (_, _) => ImageView.Eval, prefetchDepth, cancellationToken))
            {
                using var scope = NewDisposeScope();
                var input = BatchTensors.ToFusionBatch(batch, model.Device);
                var output = model.Predict(input, generator);
                if (loss is not null) lossSum += loss(input, output, generator).item<float>();
                var p = output.Probabilities.cpu().contiguous().data<float>().ToArray();
                p.CopyTo(probabilities, row * labels);
                batch.Host.Labels.CopyTo(truth, row * labels);
                batch.Host.StayIds.CopyTo(stays, row);
                row += batch.Host.Size;
            }
        }
        finally
        {
            if (wasTraining) network.train();
        }
        return (new Predictions(stays, labelNames, probabilities, truth), plan.Length == 0 ? double.NaN : lossSum / plan.Length);
    }
}
