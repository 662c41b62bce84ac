namespace ClinFuse.Training.Batching;

/// <summary>
/// Builds items (batches) on background threads, up to <c>depth</c> ahead of the consumer, and
/// yields them strictly in order, so the model never waits for data and the order never depends on
/// thread timing. Items should be plain managed data; tensors are made on the consuming thread.
/// </summary>
internal static class Prefetcher
{
    /// <summary>Runs <paramref name="build"/> for 0..count-1 ahead of the consumer, in order.</summary>
    public static IEnumerable<T> Ordered<T>(int count, Func<int, T> build, int depth, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var window = new Queue<Task<T>>(depth);
        int next = 0;
        try
        {
            while (next < count && window.Count < depth) window.Enqueue(Start(next++));
            while (window.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                T item = window.Dequeue().GetAwaiter().GetResult();
                if (next < count) window.Enqueue(Start(next++));
                yield return item;
            }
        }
        finally
        {
            // The consumer stopped early or failed: let in-flight builds finish so none outlives the loop.
            foreach (var pending in window)
            {
                try { pending.Wait(CancellationToken.None); }
                catch (AggregateException) { /* the consumer is already leaving; its own error wins */ }
            }
        }

        Task<T> Start(int index) => Task.Run(() => build(index), cancellationToken);
    }
}
