using ClinFuse.Core.Randomness;

namespace ClinFuse.Training.Batching;

/// <summary>How a training epoch groups samples into batches.</summary>
public enum BatchOrder
{
    /// <summary>A uniform shuffle cut into batches (the reference's DataLoader): every batch runs to its longest series.</summary>
    Shuffled,
    /// <summary>
    /// A uniform shuffle cut into pools of <see cref="EpochPlan.PoolBatches"/> batches; each pool is sorted by series
    /// length and cut into batches, and the batches of all pools are shuffled. Batch contents are
    /// random within similar lengths, so padding and the LSTM's time loop per batch shrink while the
    /// epoch still visits every sample once in a seeded random batch order (the LSTM runs packed
    /// sequences, so the gain is smaller than the padding saved: bench/EhrTraining).
    /// </summary>
    LengthBucketed,
}

/// <summary>
/// Which samples go into which batch in one epoch. Training shuffles with a seed derived from the
/// run seed and the epoch and drops the last partial batch (as the reference's DataLoader does),
/// optionally bucketing by series length (<see cref="BatchOrder.LengthBucketed"/>); evaluation
/// keeps the file order and the last partial batch.
/// </summary>
public static class EpochPlan
{
    /// <summary>Batches per length-sorted pool: large enough to group similar lengths, small enough to keep batches random.</summary>
    public const int PoolBatches = 8;

    /// <summary>
    /// The training batches of one epoch over samples with <paramref name="lengths"/> (time steps per
    /// selected sample, in selection order): positions in [0, lengths.Length), the last partial batch dropped.
    /// </summary>
    public static int[][] Training(ReadOnlySpan<int> lengths, int batchSize, BatchOrder order, ulong runSeed, int epoch)
    {
        var batches = Batches(lengths.Length, batchSize, shuffle: true, dropLast: true, runSeed, epoch);
        if (order == BatchOrder.Shuffled || batches.Length < 2) return batches;
        int pool = PoolBatches * batchSize;
        var kept = batches.SelectMany(b => b).ToArray();
        for (int start = 0; start < kept.Length; start += pool)
        {
            var chunk = kept.AsSpan(start, Math.Min(pool, kept.Length - start));
            var keys = new long[chunk.Length];
            // Ties keep the shuffled order, so equal lengths still mix randomly.
            for (int i = 0; i < chunk.Length; i++) keys[i] = (long)lengths[chunk[i]] * kept.Length + i;
            keys.AsSpan().Sort(chunk);
        }
        for (int b = 0; b < batches.Length; b++) batches[b] = kept.AsSpan(b * batchSize, batchSize).ToArray();
        Shuffle(batches, Seeds.Derive(runSeed, "batch-order", epoch));
        return batches;
    }

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

    /// <summary>
    /// Fisher–Yates whose draws iterate <see cref="Seeds.SplitMix64"/> on its own output (not
    /// <see cref="SeededRandom"/>'s stream: kept, since the batch order fixes every trained model):
    /// identical on every platform and .NET version.
    /// </summary>
    static void Shuffle<T>(T[] items, ulong seed)
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
