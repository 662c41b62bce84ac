using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Cli.Tests;

/// <summary>
/// Hostile inputs and faults fed to the command line (docs/reliability.md): each ends in one clear
/// message and the documented exit code, with no stack trace and no (or only the complete earlier) output.
/// The bad files are generated here, not committed.
/// </summary>
public sealed class HostileInputTests
{
    static void NoStackTrace(CliRunner.Result r)
    {
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("internal error", r.Err);
    }

    static byte[] JpegClaiming(int width, int height) =>
        HostileFiles.JpegClaiming(ImageWriter.EncodeJpeg(new GrayImage(16, 16, new byte[256]), 90), width, height);

    static GrayImage Xray(int width, int height)
    {
        var pixels = new byte[width * height];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
        return new GrayImage(width, height, pixels);
    }

    [Fact]
    public async Task An_unknown_command_is_named_with_exit_code_2_even_with_help()
    {
        var r = await CliRunner.RunAsync("predcit", "--help");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("error: unknown command 'predcit'.", r.Err);
        Assert.Contains("Commands: synth, extract", r.Err);
        Assert.Equal("", r.Out); // not the root help
        var typo = await CliRunner.RunAsync("extrcat");
        Assert.Equal(ExitCodes.Usage, typo.ExitCode);
        Assert.Contains("Did you mean 'extract'?", typo.Err);
    }

    [Fact]
    public async Task Threads_above_the_logical_cores_are_capped_with_a_warning()
    {
        var r = await CliRunner.RunAsync("info", "--json", "--threads", "100000");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"warning: --threads 100000 is more than the {Environment.ProcessorCount} logical cores", r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(Environment.ProcessorCount, doc.RootElement.GetProperty("threads").GetInt32());
    }

    [Fact]
    public async Task A_jpeg_header_claiming_60000_by_60000_pixels_is_a_bad_image_and_the_good_ones_are_written()
    {
        using var folder = Fixtures.TempFolder();
        var bomb = folder.Combine("in", "bomb.jpg");
        Directory.CreateDirectory(folder.Combine("in"));
        File.WriteAllBytes(bomb, JpegClaiming(60000, 60000));
        ImageWriter.WritePng(Xray(300, 200), folder.Combine("in", "good.png"));

        var single = await CliRunner.RunAsync("image", bomb, folder.Combine("bomb.png"));
        Assert.Equal(ExitCodes.BadInput, single.ExitCode);
        Assert.Contains("bomb.jpg", single.Err);
        Assert.Contains("60000×60000", single.Err);
        NoStackTrace(single);
        Assert.False(File.Exists(folder.Combine("bomb.png")));

        var many = await CliRunner.RunAsync("image", folder.Combine("in"), folder.Combine("out"), "--resize", "128");
        Assert.Equal(ExitCodes.BadInput, many.ExitCode);
        Assert.Contains("bomb.jpg", many.Err);
        NoStackTrace(many);
        Assert.True(File.Exists(folder.Combine("out", "good.png")));
        Assert.False(File.Exists(folder.Combine("out", "bomb.png")));
    }

    [Fact]
    public async Task A_resize_width_beyond_the_bound_is_a_usage_error_and_writes_nothing()
    {
        using var folder = Fixtures.TempFolder();
        var input = folder.Combine("x.png");
        ImageWriter.WritePng(Xray(64, 64), input);
        var r = await CliRunner.RunAsync("image", input, folder.Combine("o.png"), "--resize", "100000");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("error: --resize must be 0 (keep the size) or a width from 1 to 8192, got 100000.", r.Err);
        NoStackTrace(r);
        Assert.False(File.Exists(folder.Combine("o.png")));
    }

    [Fact]
    public async Task A_resize_of_a_narrow_image_beyond_the_pixel_limit_is_a_bad_image_and_writes_nothing()
    {
        using var folder = Fixtures.TempFolder();
        var input = folder.Combine("narrow.png");
        ImageWriter.WritePng(Xray(64, 4096), input); // width 8192 would make it 8192 × 524,288 pixels
        var r = await CliRunner.RunAsync("image", input, folder.Combine("o.png"), "--resize", "8192");
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith($"error: Resizing {input} (64×4096) to width 8192 would give more than 200,000,000 pixels.", r.Err);
        NoStackTrace(r);
        Assert.Equal([input], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public async Task Output_paths_that_cannot_be_written_give_one_line_with_the_path()
    {
        using var folder = Fixtures.TempFolder();
        var input = folder.Combine("x.png");
        ImageWriter.WritePng(Xray(64, 64), input);

        // The output's parent "folder" is a file.
        File.WriteAllText(folder.Combine("blocker"), "a file");
        var r = await CliRunner.RunAsync("image", input, folder.Combine("blocker", "o.png"), "--resize", "0");
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(folder.Combine("blocker"), r.Err);
        NoStackTrace(r);
        Assert.Equal("a file", File.ReadAllText(folder.Combine("blocker")));

        // evaluate --json onto an existing folder.
        var predictions = folder.Combine("p.csv");
        File.WriteAllText(predictions, "sample_id,Shock_true,Shock_prob\n1,0,0.1\n2,1,0.9\n3,0,0.2\n4,1,0.7\n");
        Directory.CreateDirectory(folder.Combine("metrics.json"));
        var e = await CliRunner.RunAsync("evaluate", "--predictions", predictions, "--bootstrap", "0", "--json", folder.Combine("metrics.json"));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains(folder.Combine("metrics.json"), e.Err);
        Assert.Contains("is a folder", e.Err);
        NoStackTrace(e);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Combine("metrics.json")));
    }

    [Fact]
    public async Task A_write_error_inside_a_parallel_loop_is_one_line_too()
    {
        using var folder = Fixtures.TempFolder();
        Directory.CreateDirectory(folder.Combine("in", "sub"));
        ImageWriter.WritePng(Xray(64, 64), folder.Combine("in", "sub", "x.png"));
        Directory.CreateDirectory(folder.Combine("out"));
        File.WriteAllText(folder.Combine("out", "sub"), "a file where the images' folder goes");
        var r = await CliRunner.RunAsync("image", folder.Combine("in"), folder.Combine("out"), "--resize", "0");
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(folder.Combine("out", "sub"), r.Err);
        NoStackTrace(r);
    }

    [Fact]
    public async Task A_value_too_large_to_standardise_stops_prepare_naming_the_variable_and_the_stay()
    {
        using var folder = Fixtures.TempFolder();
        // Every heart rate of the demo becomes 1e200; `--compat medfuse` keeps outliers, as the reference does.
        var mimic = HostileFiles.MimicDemoWithChartValue(folder.Combine("mimic"), 220045, "1e200");
        var extract = await CliRunner.RunAsync("extract", "--mimic-iv", mimic, "--compat", "medfuse", "-o", folder.Combine("cohort"), "--threads", "2");
        Assert.Equal(0, extract.ExitCode);

        var r = await CliRunner.RunAsync("prepare", "--cohort", folder.Combine("cohort"), "--task", "ihm", "-o", folder.Combine("prepared"), "--threads", "2");
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        var match = System.Text.RegularExpressions.Regex.Match(r.Err,
            @"error: Cannot fit the normalizer: the values of 'Heart Rate' in the training split are too large to standardise \(their sum of squares overflows\); the largest, 1E\+200, is in stay (\d+) at [0-9.]+ h\.\n  Such a value is no measurement");
        Assert.True(match.Success, r.Err);
        var stays = ClinFuse.Data.Cohort.CohortStore.Open(folder.Combine("cohort")).Samples(ClinFuse.Core.Tasks.ClinicalTask.InHospitalMortality, ClinFuse.Core.Tasks.Split.Train);
        Assert.Contains(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), stays.Select(s => s.StayId));
        NoStackTrace(r);
        Assert.Equal(["cohort", "mimic"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).Order()); // no output, no .partial folder
    }

    [Fact]
    public async Task Report_refuses_a_run_given_twice()
    {
        using var folder = Fixtures.TempFolder();
        var run = folder.Combine("run");
        Directory.CreateDirectory(run);
        var r = await CliRunner.RunAsync("report", "--run", run, "--run", run + "/", "--out", folder.Combine("report"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith($"error: --run {run} is given 2 times.", r.Err);
        Assert.False(Directory.Exists(folder.Combine("report")));
    }

    [Fact]
    public void Stale_partial_folders_of_dead_processes_are_removed_when_the_stage_runs_again()
    {
        using var folder = Fixtures.TempFolder();
        int dead = 4_000_000; // above Linux's pid_max: never a running process
        Directory.CreateDirectory(folder.Combine($".out.partial-{dead}", "sub"));
        File.WriteAllText(folder.Combine($".out.partial-{dead}", "sub", "big.bin"), "partial");
        Directory.CreateDirectory(folder.Combine(".out.partial-1")); // process 1 runs: left alone
        Directory.CreateDirectory(folder.Combine(".other.partial-" + dead)); // another output's: left alone

        using (var output = ClinFuse.Core.Stages.StageOutput.Begin(folder.Combine("out"), force: false))
        {
            File.WriteAllText(output.PathFor("a.txt"), "a");
            output.Commit();
        }
        Assert.False(Directory.Exists(folder.Combine($".out.partial-{dead}")));
        Assert.True(Directory.Exists(folder.Combine(".out.partial-1")));
        Assert.True(Directory.Exists(folder.Combine(".other.partial-" + dead)));
        Assert.Equal("a", File.ReadAllText(folder.Combine("out", "a.txt")));
    }

    [Theory]
    [InlineData(28, ExitCodes.Environment, "The disk is full")]
    [InlineData(30, ExitCodes.Environment, "Read-only file system")]
    [InlineData(20, ExitCodes.BadInput, "A file is where a folder is needed")]
    public void Write_errors_map_to_one_message_with_the_path_and_an_exit_code(int errno, int exitCode, string start)
    {
        var error = FileSystemError.From(new IOException("error text : '/data/out/x.parquet'", errno));
        Assert.NotNull(error);
        Assert.Equal(exitCode, error.ExitCode);
        Assert.StartsWith(start, error.Message);
        Assert.Contains("/data/out/x.parquet", error.Message);
        var denied = FileSystemError.From(new UnauthorizedAccessException("Access to the path '/ro/out' is denied."));
        Assert.Equal((ExitCodes.BadInput, "Permission denied: Access to the path '/ro/out' is denied."), (denied!.ExitCode, denied.Message));
        Assert.Null(FileSystemError.From(new InvalidOperationException("a bug")));
    }

    [Fact]
    public void A_failed_atomic_write_leaves_neither_a_temporary_file_nor_a_changed_target()
    {
        using var folder = Fixtures.TempFolder();
        var target = folder.Combine("weights.bin");
        File.WriteAllText(target, "earlier, complete");
        Assert.Throws<IOException>(() => AtomicFile.Write(target, temp =>
        {
            File.WriteAllText(temp, "half");
            throw new IOException("No space left on device", 28);
        }));
        Assert.Equal("earlier, complete", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(folder.Path));
    }
}
