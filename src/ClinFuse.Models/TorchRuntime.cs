using System.Reflection;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using TorchSharp;

namespace ClinFuse.Models;

/// <summary>What the process found when it tried to load libtorch.</summary>
/// <param name="Loaded">True when the native library loaded and a tensor operation ran.</param>
/// <param name="Error">Why it did not load, when it did not.</param>
/// <param name="TorchSharpVersion">The managed TorchSharp assembly version.</param>
/// <param name="LibTorchVersion">The native libtorch version, when loaded.</param>
/// <param name="Threads">libtorch intra-op threads in use.</param>
/// <param name="Devices">Usable devices, e.g. "cpu", "cuda:0".</param>
/// <param name="Caches">What oneDNN's convolutions were told about the CPU's caches (<see cref="OneDnnCacheGuard"/>), when loaded.</param>
public sealed record TorchStatus(bool Loaded, string? Error, string TorchSharpVersion, string? LibTorchVersion, int Threads, IReadOnlyList<string> Devices, OneDnnCaches? Caches = null);

/// <summary>
/// Loads libtorch once per process and applies <see cref="ComputeSettings"/> to it. Everything that
/// touches TorchSharp goes through <see cref="Initialize"/> first so that a broken native install
/// produces one clear message instead of a TypeInitializationException deep inside a model.
/// </summary>
public static class TorchRuntime
{
    static readonly Lock Gate = new();
    static TorchStatus? status;

    /// <summary>The libtorch version the TorchSharp package is built against.</summary>
    public const string ExpectedLibTorchVersion = "2.10.0";

    /// <summary>Loads libtorch (once) and sets its thread count; never throws.</summary>
    public static TorchStatus Probe(ComputeSettings compute)
    {
        lock (Gate)
        {
            status ??= Load();
            if (status.Loaded)
            {
                if (torch.get_num_threads() != compute.Threads) torch.set_num_threads(compute.Threads);
                status = status with { Threads = torch.get_num_threads() };
            }
            return status;
        }
    }

    /// <summary>
    /// Loads libtorch and sets threads, or throws a <see cref="ClinFuseException"/> that says how to fix
    /// it — also when the settings ask for a CUDA device that this libtorch cannot use.
    /// </summary>
    public static TorchStatus Initialize(ComputeSettings compute)
    {
        var s = Probe(compute);
        if (!s.Loaded)
            throw new ClinFuseException(
                $"libtorch could not be loaded: {s.Error}",
                "Rebuild with ./clinfuse (or dotnet build), which applies the loader fix to the build output; run `./clinfuse info` to check.",
                ExitCodes.Environment);
        var maps = ResolveImageMaps(compute, BFloat16Features);
        if (compute.UsesCuda && !s.Devices.Contains(compute.Device == "cuda" ? "cuda:0" : compute.Device))
            throw new ClinFuseException(
                $"--device {compute.Device} was asked for, but this libtorch sees {(s.Devices.Any(d => d.StartsWith("cuda", StringComparison.Ordinal)) ? "only " + string.Join(", ", s.Devices) : "no CUDA device")}.",
                "ClinFuse builds against the CPU build of libtorch by default; use --device cpu, or on a machine with an NVIDIA GPU build with -p:ClinFuseLibTorch=cuda (docs/gpu.md; `clinfuse info` lists the devices).",
                ExitCodes.Environment);
        lock (Gate) imageMaps = maps;
        return s;
    }

    static ImageMaps imageMaps = ImageMaps.Default;

    /// <summary>
    /// The image encoders' maps as the last <see cref="Initialize"/> set them (<see cref="ImageMaps.Default"/>
    /// before any). Every image encoder reads it when it is built, so reading it also loads libtorch
    /// (<see cref="EnsureLoaded"/>).
    /// </summary>
    internal static ImageMaps ImageMaps
    {
        get
        {
            EnsureLoaded();
            lock (Gate) return imageMaps;
        }
    }

    /// <summary>
    /// Loads libtorch (once) without changing its settings. Code that builds convolutions calls it
    /// first, so that <see cref="OneDnnCacheGuard"/> has run before oneDNN creates its first
    /// convolution primitive, even where no <see cref="Initialize"/> came before (library use, tests).
    /// </summary>
    internal static void EnsureLoaded()
    {
        lock (Gate) status ??= Load();
    }

    /// <summary>
    /// The CPU features that decide whether bfloat16 convolutions can run natively: AVX512-BF16
    /// (bfloat16 dot products) or AMX-BF16 (tile matrix multiply), from the kernel's CPU flags.
    /// Empty off Linux or on CPUs with neither.
    /// </summary>
    public static IReadOnlyList<string> BFloat16Features => bfloat16Features.Value;

    static readonly Lazy<IReadOnlyList<string>> bfloat16Features = new(() => ReadBFloat16Features("/proc/cpuinfo"));

    /// <summary>The bfloat16 features named in the first <c>flags</c> line of <paramref name="cpuinfo"/>.</summary>
    internal static IReadOnlyList<string> ReadBFloat16Features(string cpuinfo)
    {
        string? line = null;
        try
        {
            if (File.Exists(cpuinfo)) line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        }
        catch (IOException) { /* unreadable: no features known */ }
        catch (UnauthorizedAccessException) { }
        if (line is null) return [];
        var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return new[] { ("avx512_bf16", "AVX512-BF16"), ("amx_bf16", "AMX-BF16") }.Where(f => flags.Contains(f.Item1)).Select(f => f.Item2).ToArray();
    }

    /// <summary>
    /// The maps <paramref name="compute"/> asks for: its layout, and bfloat16 only when asked for and,
    /// on the CPU, only where it has native bfloat16 (<paramref name="cpuBFloat16"/>; emulated
    /// bfloat16 is slower than float32). <see cref="ImagePrecision.Auto"/> is float32: bfloat16 moves
    /// outputs in the third digit, beyond the golden-model tolerances, so it is never chosen unasked.
    /// </summary>
    internal static ImageMaps ResolveImageMaps(ComputeSettings compute, IReadOnlyList<string> cpuBFloat16)
    {
        bool bf16 = compute.ImagePrecision == ImagePrecision.BFloat16;
        if (bf16 && !compute.UsesCuda && cpuBFloat16.Count == 0)
            throw new ClinFuseException(
                "--image-precision bf16 was asked for, but this CPU has neither AVX512-BF16 nor AMX-BF16, so libtorch would emulate bfloat16 (slower than float32).",
                "Leave --image-precision out (float32); `./clinfuse info` lists the CPU features.",
                ExitCodes.Usage);
        return new ImageMaps(compute.ImageLayout, bf16);
    }

    /// <summary>The libtorch device of <paramref name="compute"/> (after <see cref="Initialize"/>).</summary>
    public static torch.Device DeviceOf(ComputeSettings compute) => torch.device(compute.Device);

    /// <summary>
    /// libtorch's OpenMP threads spin at every barrier by default. When another process holds one of
    /// the cores (a second job, a test runner, a build), a spinning thread keeps its core while the
    /// thread it waits for is descheduled, and the many small operations of an LSTM then run an order
    /// of magnitude slower (measured: 1 → 11 samples/s on a loaded 2-core machine with passive waits).
    /// OpenMP reads the setting when libtorch loads, so it goes into the native environment first;
    /// a user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone.
    /// </summary>
    static void PreferPassiveOpenMpWaits()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null
            || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null) return;
        _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// Loads libtorch, then, before any tensor work: switches NNPACK off and lets
    /// <see cref="OneDnnCacheGuard"/> check oneDNN's view of the caches.
    /// <para>
    /// NNPACK off: libtorch asks whether NNPACK is usable for every float32 inference convolution that
    /// oneDNN declines (a single X-ray through ResNet-34's last stages, as in a fusion batch with one image),
    /// and on a CPU where NNPACK cannot initialise (cpuinfo rejects the CPU, as on VMs that hide their
    /// cache topology) libtorch 2.10 logs "Could not initialize NNPACK! Reason: Unsupported hardware."
    /// each time: tens of thousands of lines in one replication-size demo. NNPACK would only be chosen
    /// for batches of 16 or more, which oneDNN takes first, so switching it off changes no result while
    /// oneDNN is on, and keeps the choice of convolution independent of whether NNPACK works on a machine.
    /// </para>
    /// </summary>
    static TorchStatus Load()
    {
        string managed = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
                         ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
        try
        {
            PreferPassiveOpenMpWaits();
            torch.InitializeDeviceType(DeviceType.CPU);
            if (OperatingSystem.IsLinux()) LibTorchContext.NnpackEnabled = false; // the symbols are the Itanium C++ ABI names of libtorch_cpu.so
            var caches = OperatingSystem.IsLinux() ? OneDnnCacheGuard.AfterLoad() : null;
            if (caches?.Action == OneDnnCacheAction.OneDnnOff) Console.Error.WriteLine($"clinfuse: warning: {caches.Description}.");
            using var probe = torch.ones(2, 2).matmul(torch.ones(2, 2));
            if (probe.sum().item<float>() != 8f) throw new InvalidOperationException("libtorch computed a wrong result for a 2x2 matmul.");
            var devices = new List<string> { "cpu" };
            if (torch.cuda.is_available())
                for (int i = 0; i < torch.cuda.device_count(); i++) devices.Add($"cuda:{i}");
            return new TorchStatus(true, null, managed, ExpectedLibTorchVersion, torch.get_num_threads(), devices, caches);
        }
        catch (Exception e)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            return new TorchStatus(false, inner.Message, managed, null, 0, ["cpu"]);
        }
    }
}
