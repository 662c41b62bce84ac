using System.CommandLine;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Models;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse info</c>: versions, native library status, threads, CPU features, devices, the cache sizes oneDNN uses.</summary>
internal static class InfoCommand
{
    /// <summary>Everything <c>info</c> reports; the JSON form uses these property names in camelCase.</summary>
    public sealed record Report(
        string Product, string Version, string Runtime, string Os, string TorchSharp, string? LibTorch,
        bool LibTorchLoaded, string? LibTorchError, int Threads, int LogicalCores, IReadOnlyList<string> CpuFeatures,
        IReadOnlyList<string> Devices, string ImageMaps, string Allocator, string? CpuCaches);

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("info", "Show versions, whether libtorch loads, threads, CPU features and devices.") { json };
        command.SetAction((result, _) =>
        {
            var compute = CommonOptions.Compute(result);
            var report = Collect(compute);
            var output = result.InvocationConfiguration.Output;
            if (result.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(report, JsonOptions.Indented));
            else Print(report, output);
            return Task.FromResult(report.LibTorchLoaded ? ExitCodes.Ok : ExitCodes.Environment);
        });
        return command;
    }

    /// <summary>Probes the runtime; never throws for a broken native install.</summary>
    public static Report Collect(ComputeSettings compute)
    {
        var torch = TorchRuntime.Probe(compute);
        var features = new List<string>();
        if (Sse42.IsSupported) features.Add("SSE4.2");
        if (Avx.IsSupported) features.Add("AVX");
        if (Avx2.IsSupported) features.Add("AVX2");
        if (Fma.IsSupported) features.Add("FMA");
        if (Avx512F.IsSupported) features.Add("AVX-512F");
        if (Avx512BW.IsSupported) features.Add("AVX-512BW");
        if (Avx10v1.IsSupported) features.Add("AVX10.1");
        features.AddRange(TorchRuntime.BFloat16Features);
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) features.Add("AdvSIMD");
        return new Report("ClinFuse", ProductInfo.Version, ProductInfo.Runtime,
            System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            torch.TorchSharpVersion, torch.LibTorchVersion, torch.Loaded, torch.Error,
            torch.Loaded ? torch.Threads : compute.Threads, Environment.ProcessorCount, features, torch.Devices, ImageMaps(compute), Allocator(), torch.Caches?.Description);
    }

    /// <summary>The malloc this process runs with: a preloaded tcmalloc or jemalloc (see the <c>clinfuse</c> launcher), else glibc's.</summary>
    static string Allocator()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return "unknown";
        var library = File.ReadLines(maps).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .FirstOrDefault(p => Path.GetFileName(p).StartsWith("libtcmalloc", StringComparison.Ordinal) || Path.GetFileName(p).StartsWith("libjemalloc", StringComparison.Ordinal));
        return library is not null ? $"{Path.GetFileName(library)} (preloaded)"
            : "glibc malloc (./clinfuse preloads libtcmalloc_minimal.so.4 when libtcmalloc-minimal4 is installed)";
    }

    /// <summary>How the image encoders will run under <paramref name="compute"/>, and whether this CPU offers bfloat16.</summary>
    static string ImageMaps(ComputeSettings compute)
    {
        string layout = compute.ImageLayout switch
        {
            ImageLayout.ChannelsLast => "channels-last",
            ImageLayout.ChannelsFirst => "channels-first",
            _ when compute.ImagePrecision == ImagePrecision.BFloat16 => "channels-last",
            _ => "channels-last in inference, channels-first in training",
        };
        bool native = TorchRuntime.BFloat16Features.Count > 0;
        string precision = compute.ImagePrecision switch
        {
            ImagePrecision.BFloat16 when !native && !compute.UsesCuda => "bf16 asked for, but this CPU has no AVX512-BF16 or AMX-BF16 (runs refuse it)",
            ImagePrecision.BFloat16 => "bf16 convolutions, float32 weights",
            _ => native ? "float32 (bf16 available with --image-precision bf16)" : "float32 (bf16 not offered: no AVX512-BF16 or AMX-BF16)",
        };
        return $"{layout}, {precision}";
    }

    static void Print(Report r, TextWriter o)
    {
        o.WriteLine($"ClinFuse {r.Version}");
        o.WriteLine($"  runtime        {r.Runtime} on {r.Os}");
        o.WriteLine($"  TorchSharp     {r.TorchSharp}");
        o.WriteLine($"  libtorch       {(r.LibTorchLoaded ? $"{r.LibTorch} (loaded)" : $"NOT LOADED: {r.LibTorchError}")}");
        o.WriteLine($"  threads        {r.Threads} of {r.LogicalCores} logical cores");
        o.WriteLine($"  CPU features   {(r.CpuFeatures.Count == 0 ? "none detected" : string.Join(' ', r.CpuFeatures))}");
        o.WriteLine($"  devices        {string.Join(' ', r.Devices)}");
        o.WriteLine($"  image maps     {r.ImageMaps}");
        o.WriteLine($"  allocator      {r.Allocator}");
        if (r.CpuCaches is not null) o.WriteLine($"  oneDNN caches  {r.CpuCaches}");
        if (!r.LibTorchLoaded)
            o.WriteLine("  Rebuild with ./clinfuse (it applies the libtorch loader fix to the build output), then run `./clinfuse info` again.");
    }
}
