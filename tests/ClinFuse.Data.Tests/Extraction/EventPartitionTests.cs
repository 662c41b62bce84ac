using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>Spilling the cleaned events to subject partitions changes nothing in the output.</summary>
public sealed class EventPartitionTests
{
    static async Task<string> Extract(TempFolder temp, CompatMode compat, int? partitions, string name)
    {
        var options = new ExtractionOptions
        {
            MimicIv = Fixtures.Path("mimic-iv-demo"), Out = temp.Combine(name), Compat = compat, ExportMedFuse = true, EventPartitions = partitions,
        };
        var result = await Extractor.RunAsync(options, new ComputeSettings(2), StageProgress.None);
        return result.Folder;
    }

    static SortedDictionary<string, byte[]> Files(string folder) =>
        new(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != StageManifest.FileName) // holds the timings
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes), StringComparer.Ordinal);

    [Theory]
    [InlineData(CompatMode.None)]
    [InlineData(CompatMode.MedFuse)]
    public async Task Few_partitions_give_the_output_of_all_events_in_memory(CompatMode compat)
    {
        using var temp = Fixtures.TempFolder("clinfuse-partitions-");
        var inMemory = Files(await Extract(temp, compat, 1, "one"));
        Assert.Contains(CohortStore.SeriesFile, inMemory.Keys);
        foreach (var partitions in new int?[] { 3, 7, null })
        {
            var folder = await Extract(temp, compat, partitions, $"p{partitions}");
            var spilled = Files(folder);
            Assert.Equal(inMemory.Keys, spilled.Keys);
            foreach (var (file, bytes) in inMemory) Assert.True(bytes.AsSpan().SequenceEqual(spilled[file]), $"{file} differs with {partitions} partitions");
            Assert.False(Directory.Exists(Path.Combine(folder, Extractor.SpillFolder)));
            Assert.Equal(StageManifest.TryRead(temp.Combine("one"))!.Outputs, StageManifest.TryRead(folder)!.Outputs);
        }
    }

    [Fact]
    public void Partitions_are_contiguous_subject_ranges_in_stay_order()
    {
        var stays = new[] { 5L, 9, 5, 2, 7, 9, 3 }.Select((subject, i) => new Stay
        {
            SubjectId = subject, HadmId = 100 + i, StayId = 1000 + i, LastCareunit = "", Intime = default, Outtime = default, LosText = "", Admittime = default,
            Dischtime = default, Ethnicity = "", Gender = "", AnchorAge = 60, Age = 60, MortalityInUnit = false, Mortality = false,
        }).ToList();
        var parts = new SubjectPartitions(stays, 2);
        Assert.Equal([0, 1, 0, 2, 3, 1, 4], parts.OrdinalOfStay);
        Assert.Equal((0, 3), parts.Range(0));
        Assert.Equal((3, 5), parts.Range(1));
        Assert.Equal([0, 0, 0, 0, 1, 0, 1], parts.PartitionOfStay);
        Assert.Equal(5, new SubjectPartitions(stays, 64).Count); // never more partitions than subjects
    }
}
