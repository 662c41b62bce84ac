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

    static int[] Lengths(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(1, 2000))];
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(5, 16)]
    [InlineData(37, 16)]
    [InlineData(317, 16)]
    [InlineData(1000, 7)]
    public void Length_bucketed_plan_uses_every_kept_sample_exactly_once_in_full_batches(int count, int batchSize)
    {
        var lengths = Lengths(count, count);
        var bucketed = EpochPlan.Training(lengths, batchSize, BatchOrder.LengthBucketed, runSeed: 1002, epoch: 3);
        var shuffled = EpochPlan.Training(lengths, batchSize, BatchOrder.Shuffled, runSeed: 1002, epoch: 3);
        Assert.Equal(count / batchSize, bucketed.Length);
        Assert.All(bucketed, b => Assert.Equal(batchSize, b.Length));
        // The same samples as the shuffled plan of that epoch (the same ones dropped), each once.
        var used = bucketed.SelectMany(b => b).Order().ToArray();
        Assert.Equal(used.Length, used.Distinct().Count());
        Assert.Equal(shuffled.SelectMany(b => b).Order(), used);
    }

    [Fact]
    public void Length_bucketing_is_seeded_and_cuts_padding()
    {
        var lengths = Lengths(1000, 1);
        int[][] Plan(ulong seed, int epoch) => EpochPlan.Training(lengths, 16, BatchOrder.LengthBucketed, seed, epoch);
        Assert.Equal(Plan(7, 1), Plan(7, 1));
        Assert.NotEqual(Plan(7, 1), Plan(7, 2));
        Assert.NotEqual(Plan(7, 1), Plan(8, 1));

        long Padded(int[][] plan) => plan.Sum(b => (long)b.Length * b.Max(i => lengths[i]));
        long shuffled = Padded(EpochPlan.Training(lengths, 16, BatchOrder.Shuffled, 7, 1));
        long bucketed = Padded(Plan(7, 1));
        // Uniform lengths: a random batch of 16 runs to about 16/17 of the maximum, a bucket of a sorted
        // pool of 128 to about its own lengths, on average half the maximum.
        Assert.True(bucketed < 0.7 * shuffled, $"padded steps: bucketed {bucketed}, shuffled {shuffled}");
    }

    [Fact]
    public void Length_bucketed_batches_come_in_random_order_not_sorted_by_length()
    {
        var lengths = Lengths(1000, 2);
        var plan = EpochPlan.Training(lengths, 16, BatchOrder.LengthBucketed, 7, 1);
        var longest = plan.Select(b => b.Max(i => lengths[i])).ToArray();
        Assert.NotEqual(longest.Order(), longest);
        // Within a batch, samples come from one pool, so the batch spans a narrow length range.
        double spread = plan.Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        Assert.True(spread < 600, $"mean length range within a batch {spread}");
    }
}
