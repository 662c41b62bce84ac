using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Cli;

/// <summary>Options shared by several commands; one definition each.</summary>
internal static class CommonOptions
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

    /// <summary>
    /// An option whose value is one of <paramref name="choices"/> (by name; the names are its completions
    /// and the only accepted values), with <paramref name="defaultValue"/> when absent.
    /// </summary>
    public static Option<T> Choice<T>(string name, string description, IReadOnlyList<(string Name, T Value)> choices, T defaultValue)
    {
        var option = new Option<T>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                var token = r.Tokens[^1].Value;
                foreach (var (choice, value) in choices)
                    if (choice == token) return value;
                r.AddError($"{name} must be one of {string.Join(", ", choices.Select(c => c.Name))}, got '{token}'.");
                return defaultValue;
            },
        };
        option.AcceptOnlyFromAmong([.. choices.Select(c => c.Name)]);
        return option;
    }

    /// <summary>A required option naming one of <paramref name="choices"/>.</summary>
    public static Option<T> RequiredChoice<T>(string name, string description, IReadOnlyList<(string Name, T Value)> choices)
    {
        var option = Choice(name, description, choices, default(T)!);
        option.DefaultValueFactory = null;
        option.Required = true;
        return option;
    }

    static readonly (string, ClinicalTask)[] TaskChoices = [.. ClinicalTasks.All.Select(t => (ClinicalTasks.ShortName(t), t))];

    /// <summary>The task (<c>--task ihm|phenotyping</c>); required unless <paramref name="defaultValue"/> is given.</summary>
    public static Option<ClinicalTask> Task(string description, ClinicalTask? defaultValue = null) =>
        defaultValue is { } d ? Choice("--task", description, TaskChoices, d) : RequiredChoice("--task", description, TaskChoices);

    /// <summary>One split (<c>--split test|val|train</c>), <paramref name="defaultValue"/> when absent.</summary>
    public static Option<Split?> Split(string description, Split? defaultValue) =>
        Choice<Split?>("--split", description, [.. new[] { Core.Tasks.Split.Test, Core.Tasks.Split.Validation, Core.Tasks.Split.Train }.Select(s => (Splits.Name(s), (Split?)s))], defaultValue);

    /// <summary>Reproduce a reference implementation's behaviour (<c>--compat none|medfuse</c>); null when absent.</summary>
    public static Option<CompatMode?> Compat(string description) =>
        Choice<CompatMode?>("--compat", description, [("none", CompatMode.None), ("medfuse", CompatMode.MedFuse)], null);

    /// <summary>Bootstrap resamples of the confidence intervals.</summary>
    public static Option<int> Bootstrap() => new("--bootstrap")
    {
        Description = "Bootstrap resamples for the 95 % confidence intervals (0: none).",
        DefaultValueFactory = _ => 1000,
    };

    /// <summary>The MIMIC-CXR-JPG folder, described for the command.</summary>
    public static Option<DirectoryInfo?> MimicCxr(string description) => new("--mimic-cxr") { Description = description };

    /// <summary>Progress of a long stage, on the invocation's error writer.</summary>
    public static ConsoleProgress Progress(ParseResult result)
    {
        var error = result.InvocationConfiguration.Error;
        return new ConsoleProgress(error, ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);
    }
}
