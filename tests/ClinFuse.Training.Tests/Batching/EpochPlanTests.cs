using ClinFuse.Training.Batching;

namespace ClinFuse.Training.Tests.Batching;

public sealed class EpochPlanTests
{
    [Theory]
    [InlineData(0, 16)]
    [InlineData(5, 16)]
    [InlineData(16, 16)]
    [InlineData(37, 16)]
    [InlineData(1000, 7)]
    public void Training_plan_is_a_shuffled_partition_without_the_last_partial_batch(int count, int batchSize)
    {
        var batches = EpochPlan.Batches(count, batchSize, shuffle: true, dropLast: true, runSeed: 1002, epoch: 3);
        Assert.Equal(count / batchSize, batches.Length);
        Assert.All(batches, b => Assert.Equal(batchSize, b.Length));
        var used = batches.SelectMany(b => b).ToArray();
        Assert.Equal(used.Length, used.Distinct().Count());
        Assert.All(used, i => Assert.InRange(i, 0, count - 1));
    }

    [Fact]
    public void Evaluation_plan_keeps_order_and_the_last_partial_batch()
    {
        var batches = EpochPlan.Batches(37, 16, shuffle: false, dropLast: false, runSeed: 1, epoch: 0);
        Assert.Equal([16, 16, 5], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 37), batches.SelectMany(b => b));
    }

    [Fact]
    public void Same_seed_and_epoch_give_the_same_order_other_epochs_and_seeds_differ()
    {
        int[] Flat(ulong seed, int epoch) => EpochPlan.Batches(500, 16, true, true, seed, epoch).SelectMany(b => b).ToArray();
        Assert.Equal(Flat(7, 1), Flat(7, 1));
        Assert.NotEqual(Flat(7, 1), Flat(7, 2));
        Assert.NotEqual(Flat(7, 1), Flat(8, 1));
    }

    [Fact]
    public void Shuffle_moves_every_position_with_roughly_uniform_probability()
    {
        // Over 2,000 epochs each sample lands in the first half about half of the time.
        const int n = 20;
        var firstHalf = new int[n];
        for (int epoch = 0; epoch < 2000; epoch++)
        {
            var order = EpochPlan.Batches(n, n, true, true, 42, epoch)[0];
            for (int p = 0; p < n / 2; p++) firstHalf[order[p]]++;
        }
        Assert.All(firstHalf, c => Assert.InRange(c, 850, 1150));
    }
}
