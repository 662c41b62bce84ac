using ClinFuse.Models.Networks;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Training.Images;
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

/// <summary>Runs a network over a split in evaluation mode.</summary>
public static class Predictor
{
    /// <summary>
    /// Probabilities of every selected sample, in selection order, and the mean loss over batches when
    /// <paramref name="lossOfBatch"/> is given (the reference's validation loss).
    /// </summary>
    public static (Predictions Predictions, double MeanLoss) Run(
        FusionNetwork network, PreparedSplit split, SampleSelection selection, IImageSource? images, IReadOnlyList<string> labelNames,
        int batchSize, int prefetchDepth, Func<FusionOutput, Tensor, Tensor>? lossOfBatch = null, CancellationToken cancellationToken = default)
    {
        int labels = split.LabelCount;
        var stays = new long[selection.Count];
        var probabilities = new float[selection.Count * labels];
        var truth = new float[selection.Count * labels];
        var plan = EpochPlan.Batches(selection.Count, batchSize, shuffle: false, dropLast: false, runSeed: 0, epoch: 0);
        bool wasTraining = network.training;
        network.eval();
        double lossSum = 0;
        int row = 0;
        try
        {
            using var _ = no_grad();
            foreach (var batch in BatchTensors.Stream(split, selection, images, plan, (_, _) => ImageView.Eval, prefetchDepth, cancellationToken))
            {
                using var scope = NewDisposeScope();
                var input = BatchTensors.ToFusionBatch(batch);
                var output = network.call(input);
                if (lossOfBatch is not null) lossSum += lossOfBatch(output, input.Labels!).item<float>();
                var p = output.Probabilities.contiguous().data<float>().ToArray();
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
