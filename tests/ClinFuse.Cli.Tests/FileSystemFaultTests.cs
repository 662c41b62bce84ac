using System.Diagnostics;
using System.Runtime.InteropServices;
using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Cli.Tests;

/// <summary>
/// Write-side faults on real file systems (docs/reliability.md): every writing command, given an
/// output on a full disk (a small tmpfs) or on a read-only file system (a read-only bind mount),
/// ends with one line and exit code 4, and given a folder it may not write to (run as user nobody),
/// with exit code 1; none leaves a temporary or unfinished file. Mounting and changing user need
/// root; elsewhere these tests are reported as skipped with the reason.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileSystemFaultTests(FileSystemFaultTests.Inputs inputs) : IClassFixture<FileSystemFaultTests.Inputs>
{
    const UnixFileMode ReadableByAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Inputs of the writing commands, made on first use (not where the tests are skipped) in an ordinary temporary folder.</summary>
    public sealed class Inputs : IDisposable
    {
        readonly TempFolder folder = Fixtures.TempFolder();
        readonly Lazy<Task> made;

        public Inputs() => made = new(MakeAsync);

        public string Image => folder.Combine("x.png");
        public string Predictions => folder.Combine("p.csv");
        public string Cohort => folder.Combine("cohort");
        public string Prepared => folder.Combine("prepared");
        public string Run => folder.Combine("run");

        async Task MakeAsync()
        {
            // Readable by every user (a temporary folder is private to its owner), for the run as nobody.
            File.SetUnixFileMode(folder.Path, ReadableByAll);
            var pixels = new byte[128 * 96];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
            ImageWriter.WritePng(new GrayImage(128, 96, pixels), Image);
            File.WriteAllText(Predictions, "sample_id,Shock_true,Shock_prob\n1,0,0.1\n2,1,0.9\n3,0,0.2\n4,1,0.7\n");
            foreach (var args in new[]
            {
                new[] { "extract", "--mimic-iv", Fixtures.Path("mimic-iv-demo"), "-o", Cohort, "--threads", "2" },
                ["prepare", "--cohort", Cohort, "--task", "ihm", "-o", Prepared, "--threads", "2"],
                ["pretrain", "--data", Prepared, "--encoder", "ehr", "--epochs", "1", "-o", Run, "--threads", "2"],
                ["evaluate", "--run", Run, "--bootstrap", "0", "--threads", "2"],
            })
            {
                var r = await CliRunner.RunAsync(args);
                Assert.True(r.ExitCode == 0, $"{args[0]}: {r.Err}");
            }
        }

        /// <summary>Each writing command with its output inside <paramref name="disk"/>: (name, arguments, whether it writes less than a few kB).</summary>
        public async Task<IEnumerable<(string Name, string[] Args, bool Small)>> CommandsAsync(string disk)
        {
            await made.Value;
            return
            [
                ("synth", ["synth", "--patients", "20", "--images", "none", "-o", Path.Combine(disk, "synthetic"), "--threads", "1"], false),
                ("extract", ["extract", "--mimic-iv", Fixtures.Path("mimic-iv-demo"), "-o", Path.Combine(disk, "cohort"), "--threads", "1"], false),
                ("prepare", ["prepare", "--cohort", Cohort, "--task", "ihm", "-o", Path.Combine(disk, "prepared"), "--threads", "1"], false),
                ("pretrain", ["pretrain", "--data", Prepared, "--encoder", "ehr", "--epochs", "1", "-o", Path.Combine(disk, "run"), "--threads", "1"], false),
                ("report", ["report", "--run", Run, "--out", Path.Combine(disk, "report")], false),
                ("image", ["image", Image, Path.Combine(disk, "x.png"), "--resize", "0"], true),
                ("evaluate --json", ["evaluate", "--predictions", Predictions, "--bootstrap", "0", "--json", Path.Combine(disk, "metrics.json")], true),
            ];
        }

        public void Dispose() => folder.Dispose();
    }

    [MountFact]
    public async Task A_full_disk_ends_every_writing_command_with_exit_4_and_leaves_no_temporary_or_unfinished_file()
    {
        using var scratch = Fixtures.TempFolder();
        foreach (var (name, args, small) in await inputs.CommandsAsync(scratch.Combine("disk")))
        {
            using var disk = Mounts.Tmpfs(scratch.Combine("disk"), "256k");
            if (small) FillUp(Path.Combine(disk.Path, "filler"));
            var before = Entries(disk.Path);

            var r = await CliRunner.RunAsync(args);

            Assert.True(r.ExitCode == ExitCodes.Environment, $"{name}: exit code {r.ExitCode}\n{r.Err}");
            Assert.Contains($"error: The disk is full: No space left on device : '{disk.Path}/", r.Err);
            Assert.DoesNotContain("   at ", r.Err);
            var left = Entries(disk.Path).Except(before).ToList();
            Assert.DoesNotContain(left, e => e.Contains(".tmp", StringComparison.Ordinal) || e.Contains(".partial-", StringComparison.Ordinal));
            if (name == "pretrain") // a run folder is resumable, not staged: it keeps its settings and curves, never a half-written file
                Assert.All(left, e => Assert.StartsWith("run", e));
            else // stages and single files appear whole or not at all
                Assert.Empty(left);
        }
    }

    [MountFact]
    public async Task A_read_only_file_system_ends_every_writing_command_with_exit_4_and_writes_nothing()
    {
        using var scratch = Fixtures.TempFolder();
        using var disk = Mounts.ReadOnlyBind(scratch.Combine("disk"));
        foreach (var (name, args, _) in await inputs.CommandsAsync(disk.Path))
        {
            var r = await CliRunner.RunAsync(args);

            Assert.True(r.ExitCode == ExitCodes.Environment, $"{name}: exit code {r.ExitCode}\n{r.Err}");
            // Progress may come first (it goes to the same writer); the error is a line of its own.
            Assert.Matches($"(^|\\n)error: Read-only file system: '{System.Text.RegularExpressions.Regex.Escape(disk.Path)}/", r.Err);
            Assert.Contains("Choose an output path on a writable file system.", r.Err);
            Assert.DoesNotContain("   at ", r.Err);
            Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
        }
    }

    [NobodyFact]
    public async Task A_folder_without_write_permission_ends_every_writing_command_with_exit_1_and_writes_nothing()
    {
        using var scratch = Fixtures.TempFolder();
        var locked = scratch.Combine("locked"); // root's, readable by all, writable by root only
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(scratch.Path, ReadableByAll);
        File.SetUnixFileMode(locked, ReadableByAll);
        foreach (var (name, args, _) in await inputs.CommandsAsync(locked))
        {
            var r = await CliProcess.RunAsync(Users.Nobody, args);

            Assert.True(r.ExitCode == ExitCodes.BadInput, $"{name}: exit code {r.ExitCode}\n{r.Err}");
            var path = System.Text.RegularExpressions.Regex.Escape(locked);
            Assert.Matches($"(?m)^error: (Permission denied: |Cannot write to {path}: )Access to the path '{path}/[^\n]*' is denied\\.$", r.Err);
            Assert.DoesNotContain("   at ", r.Err);
            Assert.Empty(Directory.GetFileSystemEntries(locked));
        }
    }

    static List<string> Entries(string folder) =>
        [.. Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p))];

    /// <summary>Writes <paramref name="path"/> until its file system has no space left.</summary>
    static void FillUp(string path)
    {
        using var stream = File.Create(path);
        var chunk = new byte[4096];
        try
        {
            while (true) stream.Write(chunk);
        }
        catch (IOException)
        {
            // The disk is full: what was written stays.
        }
    }
}

/// <summary>A fact that runs the command as user nobody: skipped, with the reason, where the tests cannot change user (not root, no setpriv).</summary>
public sealed class NobodyFactAttribute : FactAttribute
{
    public NobodyFactAttribute()
    {
        if (Users.Unavailable is { } reason) Skip = reason;
    }
}

/// <summary>The launcher that runs a child process as user and group nobody (65534), without supplementary groups.</summary>
public static class Users
{
    static readonly Lazy<string?> unavailable = new(Probe);

    public static IReadOnlyList<string> Nobody { get; } = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

    /// <summary>Why the tests cannot run a command as nobody here, or null when they can.</summary>
    public static string? Unavailable => unavailable.Value;

    static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux (setpriv)";
        if (Mounts.EffectiveUserId != 0)
            return $"needs root to run the command as another user (running as uid {Mounts.EffectiveUserId}); the error mapping is tested by HostileInputTests";
        try
        {
            var start = new ProcessStartInfo(Nobody[0]) { RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in Nobody.Skip(1).Append("true")) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            string err = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"setpriv cannot change user here ({err.Trim().Split('\n')[0]}); the error mapping is tested by HostileInputTests";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"setpriv is not available ({e.Message}); the error mapping is tested by HostileInputTests";
        }
    }
}

/// <summary>A fact that mounts file systems: skipped, with the reason, where the tests cannot mount (not root, no mount permission).</summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (Mounts.Unavailable is { } reason) Skip = reason;
    }
}

/// <summary>Small tmpfs and read-only bind mounts for the file-system fault tests; unmounted (lazily, even when busy) on dispose.</summary>
public sealed class Mounts : IDisposable
{
    static readonly Lazy<string?> unavailable = new(Probe);

    Mounts(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Why the tests cannot mount here, or null when they can.</summary>
    public static string? Unavailable => unavailable.Value;

    /// <summary>A tmpfs of <paramref name="size"/> (e.g. "256k") at <paramref name="path"/> (created when missing).</summary>
    public static Mounts Tmpfs(string path, string size)
    {
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        return new Mounts(path);
    }

    /// <summary>An empty folder at <paramref name="path"/>, bind-mounted read-only onto itself.</summary>
    public static Mounts ReadOnlyBind(string path)
    {
        Directory.CreateDirectory(path);
        Run("mount", "--bind", path, path);
        var mount = new Mounts(path);
        try
        {
            Run("mount", "-o", "remount,bind,ro", path);
        }
        catch
        {
            mount.Dispose();
            throw;
        }
        return mount;
    }

    public void Dispose() => Run("umount", "-l", Path);

    [DllImport("libc", EntryPoint = "geteuid")]
    static extern uint GetEffectiveUserId();

    /// <summary>The user id the tests run as (0: root).</summary>
    public static uint EffectiveUserId => GetEffectiveUserId();

    static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux (mount, tmpfs)";
        uint uid = EffectiveUserId;
        if (uid != 0) return $"needs root to mount a tmpfs and a read-only bind mount (running as uid {uid}); the error mapping is tested by HostileInputTests";
        var probe = Directory.CreateTempSubdirectory("clinfuse-mount-probe-").FullName;
        try
        {
            using (Tmpfs(System.IO.Path.Combine(probe, "tmpfs"), "64k")) { }
            using (ReadOnlyBind(System.IO.Path.Combine(probe, "ro"))) { }
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return $"cannot mount here ({e.Message}); the error mapping is tested by HostileInputTests";
        }
        finally
        {
            try { Directory.Delete(probe, recursive: true); } catch (IOException) { }
        }
    }

    static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        string err = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', args)}: exit code {process.ExitCode}: {err.Trim().Split('\n')[0]}");
    }
}
