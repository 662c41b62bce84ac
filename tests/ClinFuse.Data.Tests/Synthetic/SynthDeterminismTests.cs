using System.Security.Cryptography;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Synthetic;

namespace ClinFuse.Data.Tests.Synthetic;

public sealed class SynthDeterminismTests
{
    static Dictionary<string, string> Hashes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(p) != StageManifest.FileName)
            .ToDictionary(p => Path.GetRelativePath(folder, p), p => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))));

    [Fact]
    public void Same_arguments_give_byte_identical_output_for_any_thread_count()
    {
        using var temp = Fixtures.TempFolder();
        // 40 patients span two blocks, so block order and parallel scheduling both matter.
        var options = new SynthOptions(40, 11, SynthImages.Small, FillerChartRowsPerHour: 2);
        var one = SyntheticCohortGenerator.Generate(options, temp.Combine("one"), false, new ComputeSettings(1), StageProgress.None);
        var two = SyntheticCohortGenerator.Generate(options, temp.Combine("two"), false, new ComputeSettings(2), StageProgress.None);
        var a = Hashes(one.Folder);
        var b = Hashes(two.Folder);
        Assert.Contains(a.Keys, k => k.EndsWith(".jpg", StringComparison.Ordinal));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (file, hash) in a) Assert.True(hash == b[file], $"{file} differs between 1 and 2 threads");

        var other = SyntheticCohortGenerator.Generate(options with { Seed = 12, Images = SynthImages.None }, temp.Combine("other"), false, new ComputeSettings(2), StageProgress.None);
        Assert.NotEqual(a["mimic-iv/icu/chartevents.csv.gz"], Hashes(other.Folder)["mimic-iv/icu/chartevents.csv.gz"]);
    }
}
