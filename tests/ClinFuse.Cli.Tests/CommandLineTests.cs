using System.Text.Json;
using ClinFuse.Core;

namespace ClinFuse.Cli.Tests;

public sealed class CommandLineTests
{
    static readonly string[] Subcommands =
        ["synth", "extract", "prepare", "image", "pretrain", "train", "evaluate", "calibrate", "predict", "serve", "robustness", "report", "demo", "info"];

    [Fact]
    public async Task Root_help_lists_every_subcommand()
    {
        var r = await CliRunner.RunAsync("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var name in Subcommands) Assert.Contains(name, r.Out);
        Assert.Contains("--threads", r.Out);
    }

    [Theory]
    [MemberData(nameof(SubcommandNames))]
    public async Task Each_subcommand_has_its_own_help(string name)
    {
        var r = await CliRunner.RunAsync(name, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches($@"Usage:\s+\S+ {name}\b", r.Out);
        Assert.Contains("Options:", r.Out);
    }

    public static TheoryData<string> SubcommandNames() => new(Subcommands);

    [Theory]
    [InlineData("exactly one", "predict", "--run", "r", "--out", "o")]
    [InlineData("exactly one", "predict", "--run", "r", "--cohort", "c", "--series", "s.csv", "--out", "o")]
    [InlineData("go with --series", "predict", "--run", "r", "--cohort", "c", "--image", "x.jpg", "--out", "o")]
    [InlineData("--split goes with", "predict", "--run", "r", "--series", "s.csv", "--split", "test", "--out", "o")]
    [InlineData("--port", "serve", "--run", "r", "--port", "70000")]
    [InlineData("--token", "serve", "--run", "r", "--token", "short")]
    public async Task Predict_and_serve_refuse_wrong_usage_before_touching_the_run(string message, params string[] args)
    {
        var r = await CliRunner.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains(message, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public async Task A_linear_probe_without_an_encoder_to_probe_is_a_usage_error_and_writes_nothing()
    {
        var output = Path.Combine(Path.GetTempPath(), "clinfuse-probe-" + Guid.NewGuid().ToString("N"));
        var r = await CliRunner.RunAsync("pretrain", "--data", "missing-store", "--encoder", "cxr", "--linear-probe", "--out", output);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--linear-probe", r.Err);
        Assert.Contains("--cxr-encoder", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Info_json_parses_and_reports_libtorch_loaded_with_the_requested_threads()
    {
        var r = await CliRunner.RunAsync("info", "--json", "--threads", "1");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal("ClinFuse", root.GetProperty("product").GetString());
        Assert.Equal(ProductInfo.Version, root.GetProperty("version").GetString());
        Assert.True(root.GetProperty("libTorchLoaded").GetBoolean(), root.GetProperty("libTorchError").GetString());
        Assert.Equal("0.107.0", root.GetProperty("torchSharp").GetString());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.Contains(root.GetProperty("devices").EnumerateArray(), d => d.GetString() == "cpu");
        // What oneDNN's convolutions know of the caches: as reported, or corrected where CPUID hides them.
        string caches = root.GetProperty("cpuCaches").GetString()!;
        if (ClinFuse.Models.OneDnnCacheGuard.CpuidReportsCaches()) Assert.Equal("as the CPU reports them", caches);
        else Assert.Contains("using oneDNN's defaults, 32 KiB / 512 KiB / 1 MiB per core", caches);
    }

    [Fact]
    public async Task Negative_threads_is_a_usage_error_with_one_clear_message()
    {
        var r = await CliRunner.RunAsync("info", "--threads", "-3");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("error: --threads must be a positive number", r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    public async Task An_unknown_device_is_a_usage_error_with_one_clear_message(string device)
    {
        var r = await CliRunner.RunAsync("info", "--device", device);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("error: --device must be cpu, cuda or cuda:N", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Theory]
    [InlineData("--image-precision", "fp16", "error: --image-precision must be auto, fp32 or bf16")]
    [InlineData("--image-layout", "nhwc", "error: --image-layout must be auto, channels-last or channels-first")]
    public async Task An_unknown_image_layout_or_precision_is_a_usage_error_with_one_clear_message(string option, string value, string message)
    {
        var r = await CliRunner.RunAsync("info", option, value);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith(message, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public async Task Info_reports_the_image_maps_the_settings_give()
    {
        var r = await CliRunner.RunAsync("info", "--json", "--threads", "1", "--image-layout", "channels-first");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.StartsWith("channels-first, ", doc.RootElement.GetProperty("imageMaps").GetString());
        var auto = await CliRunner.RunAsync("info", "--threads", "1");
        Assert.Contains("image maps     channels-last in inference, channels-first in training, float32", auto.Out);
    }

    [Fact]
    public async Task A_layer_after_outside_the_resnet_stages_is_a_usage_error_with_one_clear_message()
    {
        using var dir = Fixtures.TempFolder();
        var r = await CliRunner.RunAsync("train", "--data", dir.Path, "--model", "mmtm", "--layer-after", "5", "--out", Path.Combine(dir.Path, "run"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--layer-after must be -1 (every stage) or a stage from 0 to 4, got 5", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "run")));
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error_that_points_to_help()
    {
        var r = await CliRunner.RunAsync("info", "--no-such-option");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--no-such-option", r.Err);
        Assert.Contains("clinfuse info --help", r.Err);
    }

    [Fact]
    public async Task Missing_required_option_is_a_usage_error()
    {
        var r = await CliRunner.RunAsync("extract");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--mimic-iv", r.Err);
    }
}
