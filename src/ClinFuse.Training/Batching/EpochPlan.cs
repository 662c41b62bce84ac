using ClinFuse.Core.Randomness;

namespace ClinFuse.Training.Batching;

/// <summary>
/// Which samples go into which batch in one epoch. Training shuffles with a seed derived from the
/// run seed and the epoch and drops the last partial batch (as the reference's DataLoader does);
/// evaluation keeps the file order and the last partial batch.
/// </summary>
public static class EpochPlan
{
    /// <summary>Batches of sample positions in [0, <paramref name="count"/>).</summary>
    public static int[][] Batches(int count, int batchSize, bool shuffle, bool dropLast, ulong runSeed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        if (shuffle) Shuffle(order, Seeds.Derive(runSeed, "epoch-order", epoch));

        int full = count / batchSize;
        int batches = dropLast || count % batchSize == 0 ? full : full + 1;
        var result = new int[batches][];
        for (int b = 0; b < batches; b++)
        {
            int start = b * batchSize;
            result[b] = order.AsSpan(start, Math.Min(batchSize, count - start)).ToArray();
        }
        return result;
    }

    /// <summary>Fisher–Yates with a splitmix64 stream: identical on every platform and .NET version.</summary>
    static void Shuffle(int[] items, ulong seed)
    {
        ulong state = seed;
        for (int i = items.Length - 1; i > 0; i--)
        {
            state = Seeds.SplitMix64(state);
            int j = (int)(state % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
