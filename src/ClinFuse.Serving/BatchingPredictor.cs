using System.Threading.Channels;
using ClinFuse.Inference.Prediction;

namespace ClinFuse.Serving;

/// <summary>
/// Gathers concurrent requests into model batches: each request is preprocessed on its own thread,
/// queued, and a single worker predicts whatever is waiting (up to <see cref="ServeOptions.MaxBatch"/>)
/// in one forward pass. A full queue refuses new requests (503) instead of growing.
/// </summary>
internal sealed class BatchingPredictor : IAsyncDisposable
{
    sealed record Pending(ModelInput Input, TaskCompletionSource<StayPrediction> Result);

    readonly RunPredictor predictor;
    readonly Channel<Pending> queue;
    readonly int maxBatch;
    readonly Task worker;

    /// <summary>Starts the worker over <paramref name="predictor"/>.</summary>
    public BatchingPredictor(RunPredictor predictor, int maxBatch, int maxQueue)
    {
        this.predictor = predictor;
        this.maxBatch = maxBatch;
        queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(maxQueue) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        worker = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Batches predicted so far and the stays in them (for the health endpoint).</summary>
    public (long Batches, long Stays) Counts => (Interlocked.Read(ref batches), Interlocked.Read(ref stays));
    long batches, stays;

    /// <summary>Queues one stay and waits for its prediction.</summary>
    public Task<StayPrediction> PredictAsync(ModelInput input)
    {
        var pending = new Pending(input, new TaskCompletionSource<StayPrediction>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
            throw new RequestError(503, "The model is busy (queue full); retry shortly.");
        return pending.Result.Task;
    }

    async Task Work()
    {
        var batch = new List<Pending>(maxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < maxBatch && queue.Reader.TryRead(out var next)) batch.Add(next);
            if (batch.Count == 0) continue;
            try
            {
                var results = predictor.PredictBatch([.. batch.Select(p => p.Input)]);
                for (int i = 0; i < batch.Count; i++) batch[i].Result.SetResult(results[i]);
                Interlocked.Increment(ref batches);
                Interlocked.Add(ref stays, batch.Count);
            }
            catch (Exception e)
            {
                foreach (var p in batch) p.Result.TrySetException(e);
            }
        }
    }

    /// <summary>Stops accepting requests and lets the worker finish the queue.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await worker.ConfigureAwait(false);
    }
}
