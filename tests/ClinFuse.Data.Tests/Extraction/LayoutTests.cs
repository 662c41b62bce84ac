using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>MIMIC-IV v1.0 and v2+ layouts, csv and csv.gz, give the same cohort.</summary>
public sealed class LayoutTests
{
    static MiniMimic OneStay() =>
        new MiniMimic().Stay(10000001, 20000001, 30000001, "2150-01-01 10:00:00", "2150-01-04 10:00:00", 3.0)
            .Event(10000001, 20000001, 30000001, "2150-01-01 11:00:00", 220045, "80");

    [Theory]
    [InlineData(false, true, MimicIvLayout.V2)]
    [InlineData(false, false, MimicIvLayout.V2)]
    [InlineData(true, true, MimicIvLayout.V1)]
    [InlineData(true, false, MimicIvLayout.V1)]
    public async Task Layout_and_compression_are_detected(bool v1, bool gzip, MimicIvLayout expected)
    {
        using var mimic = OneStay();
        mimic.Write(gzip, v1);
        var source = MimicIvSource.Detect(mimic.Root);
        Assert.Equal(expected, source.Layout);
        Assert.Equal(v1 ? "ethnicity" : "race", source.EthnicityColumn);
        Assert.EndsWith(gzip ? ".csv.gz" : ".csv", source.ChartEvents, StringComparison.Ordinal);
        using var output = Fixtures.TempFolder();
        var result = await Extractor.RunAsync(new ExtractionOptions { MimicIv = mimic.Root, Out = output.Combine("c") }, new ComputeSettings(1), StageProgress.None);
        var store = CohortStore.Open(result.Folder);
        Assert.Equal("WHITE", Assert.Single(store.Stays).Ethnicity);
        Assert.Equal("80.0", store.Episode(30000001).Single().Values[ExtractionResources.IndexOfVariable("Heart Rate")]);
    }
}
