using ClinFuse.Training.Batching;

namespace ClinFuse.Training.Tests.Batching;

public sealed class PrefetcherTests
{
    [Fact]
    public void Items_arrive_in_index_order_even_when_later_ones_finish_first()
    {
        var items = Prefetcher.Ordered(40, i =>
        {
            Thread.Sleep((40 - i) % 5); // later indices are often quicker
            return i * i;
        }, depth: 6).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => i * i), items);
    }

    [Fact]
    public void Never_builds_more_than_depth_items_ahead_of_the_consumer()
    {
        int built = 0, consumed = 0, maxAhead = 0;
        foreach (var _ in Prefetcher.Ordered(30, i => { Interlocked.Increment(ref built); return i; }, depth: 3))
        {
            consumed++;
            Thread.Sleep(2);
            maxAhead = Math.Max(maxAhead, Volatile.Read(ref built) - consumed);
        }
        Assert.Equal(30, consumed);
        Assert.InRange(maxAhead, 0, 3);
    }

    [Fact]
    public void A_failing_build_surfaces_at_its_position_in_the_order()
    {
        var seen = new List<int>();
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var i in Prefetcher.Ordered(10, i => i == 4 ? throw new InvalidOperationException("bad sample 4") : i, depth: 4))
                seen.Add(i);
        });
        Assert.Equal("bad sample 4", error.Message);
        Assert.Equal([0, 1, 2, 3], seen);
    }

    [Fact]
    public void Stopping_early_waits_for_in_flight_builds()
    {
        int running = 0;
        foreach (var i in Prefetcher.Ordered(100, i => { Interlocked.Increment(ref running); Thread.Sleep(1); Interlocked.Decrement(ref running); return i; }, depth: 5))
            if (i == 3) break;
        Assert.Equal(0, Volatile.Read(ref running));
    }
}
