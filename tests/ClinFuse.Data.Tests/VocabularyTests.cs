using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;

namespace ClinFuse.Data.Tests;

/// <summary>The name tables of tasks and splits: every spelling a store or command line writes reads back to the same value.</summary>
public sealed class VocabularyTests
{
    [Fact]
    public void Every_task_name_reads_back_to_its_task_and_nothing_else_does()
    {
        foreach (var task in ClinicalTasks.All)
            foreach (var name in new[] { ClinicalTasks.Name(task), ClinicalTasks.ShortName(task), ClinicalTasks.RecipePrefix(task), ClinicalTasks.Name(task).ToUpperInvariant() })
                Assert.Equal(task, ClinicalTasks.Parse(name, "test"));
        Assert.Equal(ClinicalTask.InHospitalMortality, ClinicalTasks.TryParse("in_hospital_mortality")); // the synthetic truth's column name
        Assert.Null(ClinicalTasks.TryParse("decompensation"));
        var e = Assert.Throws<ClinFuseException>(() => ClinicalTasks.Parse("los", "labels.json"));
        Assert.Contains("labels.json: unknown task 'los'", e.Message);
        Assert.Equal("samples_ihm.parquet", CohortStore.SamplesFile(ClinicalTask.InHospitalMortality));
    }

    [Fact]
    public void Every_split_name_reads_back_and_an_unknown_one_is_an_error_everywhere()
    {
        Assert.Equal(["train", "val", "test"], Splits.All.Select(Splits.Name));
        foreach (var split in Splits.All) Assert.Equal(split, Splits.Parse(Splits.Name(split), "test"));
        // One parser: a name another stage might have mapped to Test silently is refused.
        foreach (var bad in new[] { "validate", "Test", "", null })
            Assert.Throws<ClinFuseException>(() => Splits.Parse(bad, "samples_ihm.parquet"));
    }
}
