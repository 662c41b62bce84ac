namespace ClinFuse.Core;

/// <summary>
/// How much of the machine a run may use. One instance is set up by the command line from
/// <c>--threads</c> and <c>--device</c> and handed to every stage: libtorch's intra-op pool and the
/// data pipeline's workers both size themselves from <see cref="Threads"/>; networks and batches live
/// on <see cref="Device"/>.
/// </summary>
/// <param name="Threads">CPU threads.</param>
/// <param name="Device">libtorch device of the networks: "cpu", "cuda" or "cuda:N".</param>
public sealed record ComputeSettings(int Threads, string Device = "cpu")
{
    /// <summary>All logical cores, CPU.</summary>
    public static ComputeSettings Default { get; } = new(Environment.ProcessorCount);

    /// <summary>Whether the networks run on a GPU.</summary>
    public bool UsesCuda => Device != "cpu";

    /// <summary>
    /// The most threads a run uses: the logical cores. More would only oversubscribe the CPU, and an
    /// unbounded count could exhaust the process table.
    /// </summary>
    public static int MaxThreads => Environment.ProcessorCount;

    /// <summary>The warning for a thread count above <see cref="MaxThreads"/>, or null.</summary>
    public static string? ThreadsCapNote(int? threads) =>
        threads > MaxThreads ? $"warning: --threads {threads} is more than the {MaxThreads} logical cores of this machine; using {MaxThreads}." : null;

    /// <summary>
    /// Validates a user-supplied thread count (null or 0 means all cores; more than
    /// <see cref="MaxThreads"/> is capped there) and device (null means the CPU).
    /// </summary>
    public static ComputeSettings FromOption(int? threads, string? device = null)
    {
        if (threads < 0)
            throw new ClinFuseException($"--threads must be a positive number, got {threads}.", "Leave it out to use all cores.", ExitCodes.Usage);
        device = device?.Trim().ToLowerInvariant() ?? "cpu";
        if (device is not ("cpu" or "cuda") && !(device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device[5..], out int index) && index >= 0))
            throw new ClinFuseException($"--device must be cpu, cuda or cuda:N, got '{device}'.", "Leave it out to run on the CPU.", ExitCodes.Usage);
        return new ComputeSettings(threads is null or 0 ? Environment.ProcessorCount : Math.Min(threads.Value, MaxThreads), device);
    }

    /// <summary>Options for <see cref="Parallel"/> loops in the data pipeline.</summary>
    public ParallelOptions ParallelOptions(CancellationToken cancellationToken = default) =>
        new() { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken };
}
