namespace ClinFuse.Core;

/// <summary>
/// How much of the machine a run may use. One instance is set up by the command line from
/// <c>--threads</c> and handed to every stage: libtorch's intra-op pool and the data pipeline's
/// workers both size themselves from <see cref="Threads"/>.
/// </summary>
public sealed record ComputeSettings(int Threads)
{
    /// <summary>All logical cores.</summary>
    public static ComputeSettings Default { get; } = new(Environment.ProcessorCount);

    /// <summary>Validates a user-supplied thread count; null or 0 means all cores.</summary>
    public static ComputeSettings FromOption(int? threads)
    {
        if (threads is null or 0) return Default;
        if (threads < 0)
            throw new ClinFuseException($"--threads must be a positive number, got {threads}.", "Leave it out to use all cores.", ExitCodes.Usage);
        return new ComputeSettings(threads.Value);
    }

    /// <summary>Options for <see cref="Parallel"/> loops in the data pipeline.</summary>
    public ParallelOptions ParallelOptions(CancellationToken cancellationToken = default) =>
        new() { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken };
}
