namespace ClinFuse.Core;

/// <summary>
/// How much of the machine a run may use and how. One instance is set up by the command line from
/// <c>--threads</c>, <c>--device</c>, <c>--image-layout</c> and <c>--image-precision</c> and handed to
/// every stage: libtorch's intra-op pool and the data pipeline's workers both size themselves from
/// <see cref="Threads"/>; networks and batches live on <see cref="Device"/>; the image encoders run
/// their feature maps as <see cref="ImageLayout"/> and <see cref="ImagePrecision"/> say.
/// </summary>
/// <param name="Threads">CPU threads.</param>
/// <param name="Device">libtorch device of the networks: "cpu", "cuda" or "cuda:N".</param>
/// <param name="ImageLayout">Memory layout of the image encoders' feature maps.</param>
/// <param name="ImagePrecision">Arithmetic of the image encoders' convolutions.</param>
public sealed record ComputeSettings(int Threads, string Device = "cpu", ImageLayout ImageLayout = ImageLayout.Auto, ImagePrecision ImagePrecision = ImagePrecision.Auto)
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
    /// <see cref="MaxThreads"/> is capped there), device (null means the CPU), image layout
    /// (auto, channels-last or channels-first; null means auto) and image precision (auto, fp32 or
    /// bf16; null means auto).
    /// </summary>
    public static ComputeSettings FromOption(int? threads, string? device = null, string? imageLayout = null, string? imagePrecision = null)
    {
        if (threads < 0)
            throw new ClinFuseException($"--threads must be a positive number, got {threads}.", "Leave it out to use all cores.", ExitCodes.Usage);
        device = device?.Trim().ToLowerInvariant() ?? "cpu";
        if (device is not ("cpu" or "cuda") && !(device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device[5..], out int index) && index >= 0))
            throw new ClinFuseException($"--device must be cpu, cuda or cuda:N, got '{device}'.", "Leave it out to run on the CPU.", ExitCodes.Usage);
        var layout = imageLayout?.Trim().ToLowerInvariant() switch
        {
            null or "auto" => ImageLayout.Auto,
            "channels-last" => ImageLayout.ChannelsLast,
            "channels-first" => ImageLayout.ChannelsFirst,
            _ => throw new ClinFuseException($"--image-layout must be auto, channels-last or channels-first, got '{imageLayout}'.", "Leave it out for auto (channels-last except in float32 training).", ExitCodes.Usage),
        };
        var precision = imagePrecision?.Trim().ToLowerInvariant() switch
        {
            null or "auto" => ImagePrecision.Auto,
            "fp32" => ImagePrecision.Float32,
            "bf16" => ImagePrecision.BFloat16,
            _ => throw new ClinFuseException($"--image-precision must be auto, fp32 or bf16, got '{imagePrecision}'.", "Leave it out for float32.", ExitCodes.Usage),
        };
        return new ComputeSettings(threads is null or 0 ? Environment.ProcessorCount : Math.Min(threads.Value, MaxThreads), device, layout, precision);
    }

    /// <summary>Options for <see cref="Parallel"/> loops in the data pipeline.</summary>
    public ParallelOptions ParallelOptions(CancellationToken cancellationToken = default) =>
        new() { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken };
}

/// <summary>How the image encoders (the ResNets, the ViT's patch embedding) lay out their feature maps in memory.</summary>
public enum ImageLayout
{
    /// <summary>
    /// <see cref="ChannelsLast"/>, except in float32 training, which stays <see cref="ChannelsFirst"/>:
    /// libtorch's channels-last BatchNorm accumulates its batch statistics in another order, which moves
    /// a training step's loss by a few parts per million, beyond the reference's golden tolerances.
    /// Inference (running statistics) matches them in either layout.
    /// </summary>
    Auto,

    /// <summary>NCHW, libtorch's default: each channel's plane is contiguous.</summary>
    ChannelsFirst,

    /// <summary>
    /// NHWC (channels-last): the channels of a pixel are contiguous, the layout oneDNN's convolutions
    /// run on natively, so no reordering happens around each convolution. Shapes stay [N, C, H, W].
    /// </summary>
    ChannelsLast,
}

/// <summary>Arithmetic of the image encoders' convolutions.</summary>
public enum ImagePrecision
{
    /// <summary><see cref="Float32"/>; bfloat16 is never chosen without being asked for (see docs/training.md).</summary>
    Auto,

    /// <summary>32-bit floats throughout.</summary>
    Float32,

    /// <summary>
    /// Convolutions in bfloat16 with float32 weights and accumulation (as PyTorch's CPU autocast);
    /// only on a CPU with AVX512-BF16 or AMX, where oneDNN has native bfloat16 kernels.
    /// </summary>
    BFloat16,
}
