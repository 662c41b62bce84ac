using System.Diagnostics;
using System.Text.Json;

namespace ClinFuse.Cli.Tests;

/// <summary>The allocator the <c>clinfuse</c> launcher preloads (build/allocator.sh) and what <c>info</c> reports.</summary>
public sealed class AllocatorTests
{
    static async Task<string> Choose(string? setting)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "allocator.sh"));
        if (setting is null) start.Environment.Remove("CLINFUSE_ALLOCATOR");
        else start.Environment["CLINFUSE_ALLOCATOR"] = setting;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }

    static async Task<string> InfoAllocator(string? preload)
    {
        var launcher = preload is null ? new[] { "env", "-u", "LD_PRELOAD" } : ["env", $"LD_PRELOAD={preload}"];
        var r = await CliProcess.RunAsync(launcher, "info", "--json", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        return doc.RootElement.GetProperty("allocator").GetString()!;
    }

    [Fact]
    public async Task Glibc_is_kept_when_asked_for_and_info_reports_it_without_a_preload()
    {
        Assert.Equal("", await Choose("glibc"));
        Assert.StartsWith("glibc malloc", await InfoAllocator(null));
    }

    [TcmallocFact]
    public async Task Tcmalloc_is_chosen_when_installed_and_info_reports_it_when_preloaded()
    {
        var tcmalloc = await Choose(null);
        Assert.True(File.Exists(tcmalloc), $"allocator.sh chose '{tcmalloc}'");
        Assert.Equal("libtcmalloc_minimal.so.4", Path.GetFileName(tcmalloc));
        var reported = await InfoAllocator(tcmalloc);
        Assert.StartsWith("libtcmalloc_minimal.so.4", reported);
        Assert.EndsWith("(preloaded)", reported);
    }
}

/// <summary>A fact that needs Debian's libtcmalloc-minimal4: skipped, with the reason, where it is not installed.</summary>
public sealed class TcmallocFactAttribute : FactAttribute
{
    public TcmallocFactAttribute()
    {
        if (!new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu" }.Any(d => File.Exists(Path.Combine(d, "libtcmalloc_minimal.so.4"))))
            Skip = "libtcmalloc-minimal4 is not installed (build/system-packages.sh installs it when run as root).";
    }
}
