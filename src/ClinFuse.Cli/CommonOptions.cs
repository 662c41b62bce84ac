using System.CommandLine;
using ClinFuse.Core;

namespace ClinFuse.Cli;

/// <summary>Options shared by several commands; one definition each.</summary>
public static class CommonOptions
{
    /// <summary>Threads for libtorch and the data pipeline; inherited by every subcommand.</summary>
    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "Threads for libtorch and the data pipeline (default: all cores).",
        Recursive = true,
    };

    /// <summary>The libtorch device of the networks; inherited by every subcommand.</summary>
    public static readonly Option<string?> Device = new("--device")
    {
        Description = "Device for the networks: cpu (default), cuda or cuda:N (needs a CUDA build of libtorch and a visible GPU).",
        Recursive = true,
    };

    /// <summary>Memory layout of the image encoders' feature maps; inherited by every subcommand.</summary>
    public static readonly Option<string?> ImageLayout = new("--image-layout")
    {
        Description = "Feature-map layout of the image encoders: auto (default: channels-last, i.e. NHWC, except in float32 training), channels-last or channels-first (NCHW).",
        Recursive = true,
    };

    /// <summary>Arithmetic of the image encoders' convolutions; inherited by every subcommand.</summary>
    public static readonly Option<string?> ImagePrecision = new("--image-precision")
    {
        Description = "Convolutions of the image encoders: auto (default: fp32), fp32, or bf16 (bfloat16 with float32 weights; needs a CPU with AVX512-BF16 or AMX, see `info`; results differ from fp32 in the third digit).",
        Recursive = true,
    };

    /// <summary>The compute settings the user asked for.</summary>
    public static ComputeSettings Compute(ParseResult result)
    {
        var threads = result.GetValue(Threads);
        if (ComputeSettings.ThreadsCapNote(threads) is { } note) (result.InvocationConfiguration.Error ?? Console.Error).WriteLine(note);
        return ComputeSettings.FromOption(threads, result.GetValue(Device), result.GetValue(ImageLayout), result.GetValue(ImagePrecision));
    }

    /// <summary>A seed option with a command-specific default.</summary>
    public static Option<int> Seed(int defaultValue = 42) => new("--seed")
    {
        Description = "Seed from which every random choice of the command is derived.",
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>A required output folder.</summary>
    public static Option<DirectoryInfo> OutDir(string description) => new("--out", "-o")
    {
        Description = description,
        Required = true,
    };

    /// <summary>Overwrite a non-empty output folder.</summary>
    public static Option<bool> Force() => new("--force")
    {
        Description = "Replace the output folder if it is not empty.",
    };
}
