using ClinFuse.Training.Data;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Batching;

/// <summary>
/// A batch in managed memory, ready to become tensors on the training thread: the series are
/// zero-padded at the end to the longest sample (zeros in normalised space, as the reference
/// collates), with the true lengths kept for packing.
/// </summary>
/// <param name="Indices">Positions of the samples in their split.</param>
/// <param name="StayIds">Stay id per sample.</param>
/// <param name="Series">Row-major [batch × maxSteps × features].</param>
/// <param name="Lengths">Hourly steps per sample (at least 1).</param>
/// <param name="MaxSteps">Padded length.</param>
/// <param name="Features">Features per step.</param>
/// <param name="ImageSlots">Image-cache slot per sample, -1 for none.</param>
/// <param name="Labels">Row-major [batch × labels].</param>
public sealed record HostBatch(
    int[] Indices, long[] StayIds, float[] Series, long[] Lengths, int MaxSteps, int Features, int[] ImageSlots, float[] Labels)
{
    /// <summary>Number of samples.</summary>
    public int Size => Indices.Length;

    /// <summary>Assembles the samples at <paramref name="indices"/> of <paramref name="split"/>.</summary>
    public static HostBatch Build(PreparedSplit split, int[] indices)
    {
        int features = split.Features, labels = split.LabelCount;
        int maxSteps = 1;
        foreach (int i in indices) maxSteps = Math.Max(maxSteps, split.Timesteps(i));
        var series = new float[indices.Length * maxSteps * features];
        var lengths = new long[indices.Length];
        var slots = new int[indices.Length];
        var stays = new long[indices.Length];
        var y = new float[indices.Length * labels];
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            int steps = split.Timesteps(i);
            split.CopySeries(i, series.AsSpan(b * maxSteps * features, steps * features));
            lengths[b] = Math.Max(steps, 1); // an empty episode is one all-zero step, never a zero-length sequence
            slots[b] = split.ImageSlot(i);
            stays[b] = split.StayId(i);
            split.CopyLabels(i, y.AsSpan(b * labels, labels));
        }
        return new HostBatch((int[])indices.Clone(), stays, series, lengths, maxSteps, features, slots, y);
    }
}
