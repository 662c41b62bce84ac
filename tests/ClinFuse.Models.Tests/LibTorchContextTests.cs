using System.Runtime.InteropServices;
using ClinFuse.Core;
using ClinFuse.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>
/// The libtorch switches ClinFuse sets when it loads: NNPACK off (it is never the convolution chosen
/// while oneDNN is on, and on CPUs it cannot initialise on, libtorch logs a warning for every
/// single-image inference convolution); oneDNN on unless the cache guard had to switch it off.
/// </summary>
public sealed class LibTorchContextTests
{
    public LibTorchContextTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    [Fact]
    public void Loading_switches_nnpack_off_and_leaves_onednn_to_the_cache_guard()
    {
        var caches = TorchRuntime.Probe(new ComputeSettings(2)).Caches;
        Assert.NotNull(caches);
        Assert.False(LibTorchContext.NnpackEnabled);
        Assert.Equal(caches.Action != OneDnnCacheAction.OneDnnOff, LibTorchContext.MkldnnEnabled);
    }

    [Fact]
    public void A_single_image_inference_convolution_writes_nothing_to_stderr_and_matches_with_nnpack_on()
    {
        // One 256-channel 3x3 convolution on a 7x7 map of one image: oneDNN declines it (batch 1,
        // under 20,480 values), so libtorch considers NNPACK.
        torch.manual_seed(11);
        using var scope = NewDisposeScope();
        var input = randn(1, 256, 7, 7);
        var weight = randn(256, 256, 3, 3) * 0.02;
        using var noGrad = no_grad();

        var (withNnpackOff, logOff) = CaptureStderr(() => nn.functional.conv2d(input, weight, padding: [1, 1]));
        Assert.DoesNotContain("NNPACK", logOff);

        // NNPACK on: where the CPU supports NNPACK nothing is logged; where it does not, libtorch logs
        // "Could not initialize NNPACK!" — the message switching it off removes. Either way the result
        // is the same convolution (NNPACK is only chosen for batches of 16 or more).
        LibTorchContext.NnpackEnabled = true;
        try
        {
            var (withNnpackOn, logOn) = CaptureStderr(() => nn.functional.conv2d(input, weight, padding: [1, 1]));
            Assert.True(logOn.Length == 0 || logOn.Contains("Could not initialize NNPACK", StringComparison.Ordinal), logOn);
            Assert.True(withNnpackOn.equal(withNnpackOff).all().item<bool>());
        }
        finally
        {
            LibTorchContext.NnpackEnabled = false;
        }
    }

    /// <summary>Runs <paramref name="work"/> with file descriptor 2 redirected to a file; returns its result and what was written.</summary>
    static (Tensor Result, string Log) CaptureStderr(Func<Tensor> work)
    {
        using var dir = Fixtures.TempFolder();
        string path = Path.Combine(dir.Path, "stderr.txt");
        int saved = Dup(2);
        int file = Open(path, 0x1 | 0x40 | 0x200, Convert.ToUInt32("644", 8)); // O_WRONLY | O_CREAT | O_TRUNC
        Assert.True(saved >= 0 && file >= 0, "could not redirect stderr");
        Tensor result;
        try
        {
            Assert.Equal(2, Dup2(file, 2));
            result = work();
        }
        finally
        {
            Dup2(saved, 2);
            Close(file);
            Close(saved);
        }
        return (result, File.ReadAllText(path));
    }

    [DllImport("libc", EntryPoint = "dup")]
    static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "dup2")]
    static extern int Dup2(int fd, int target);

    [DllImport("libc", EntryPoint = "open")]
    static extern int Open(string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);
}
