using ClinFuse.Core;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Data.Tests.Extraction;

public sealed class PhenotypeTests
{
    [Fact]
    public void Definitions_have_283_groups_and_25_benchmark_labels_in_alphabetical_order()
    {
        Assert.Equal(283, ExtractionResources.PhenotypeGroups.Count);
        Assert.Equal(25, ExtractionResources.PhenotypeLabels.Count);
        Assert.Equal("Acute and unspecified renal failure", ExtractionResources.PhenotypeLabels[0]);
        Assert.Equal("Shock", ExtractionResources.PhenotypeLabels[24]);
        Assert.Equal(ExtractionResources.PhenotypeLabels.Order(StringComparer.Ordinal), ExtractionResources.PhenotypeLabels);
        var renal = ExtractionResources.PhenotypeGroups.Single(g => g.Name == "Acute and unspecified renal failure");
        Assert.Equal(12, renal.Codes.Count);
        Assert.Contains("N179", renal.Codes);
    }

    [Fact]
    public void Codes_set_their_group_label()
    {
        var index = ExtractionResources.PhenotypeLabels.ToList().IndexOf("Acute and unspecified renal failure");
        var icd9 = TaskBuilder.PhenotypeLabels([new Diagnosis(1, 1, "5849", 9)], CompatMode.None);
        var icd10 = TaskBuilder.PhenotypeLabels([new Diagnosis(1, 1, "N179", 10)], CompatMode.None);
        Assert.Equal(1, icd9[index]);
        Assert.Equal(1, icd10[index]);
        Assert.Equal(1, icd9.Sum());
    }

    [Fact]
    public void Default_matches_codes_within_their_icd_version_only()
    {
        var index = ExtractionResources.PhenotypeLabels.ToList().IndexOf("Acute and unspecified renal failure");
        // "5849" is an ICD-9 code of the group; spelt as an ICD-10 code it must not count.
        Assert.Equal(1, TaskBuilder.PhenotypeLabels([new Diagnosis(1, 1, "5849", 10)], CompatMode.MedFuse)[index]);
        Assert.Equal(0, TaskBuilder.PhenotypeLabels([new Diagnosis(1, 1, "5849", 10)], CompatMode.None)[index]);
    }

    [Fact]
    public void Non_benchmark_codes_set_nothing() =>
        Assert.Equal(0, TaskBuilder.PhenotypeLabels([new Diagnosis(1, 1, "55000", 9)], CompatMode.MedFuse).Sum());
}
