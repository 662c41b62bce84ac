using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

public sealed class EpisodeListfileTests
{
    [Fact]
    public void Golden_listfiles_give_the_labels_and_bin_counts_the_reference_reader_returned()
    {
        var ihm = GoldenFiles.Listfile(ClinicalTask.InHospitalMortality);
        var pheno = GoldenFiles.Listfile(ClinicalTask.Phenotyping);
        Assert.Equal(["y_true"], ihm.LabelNames);
        Assert.Equal(25, pheno.LabelNames.Count);
        Assert.Equal("Acute and unspecified renal failure", pheno.LabelNames[0]);
        var discretizer = new Discretizer();
        foreach (var episode in GoldenFiles.Json("episodes.json").GetProperty("episodes").EnumerateArray())
        {
            string file = Path.GetFileName(episode.GetProperty("file").GetString()!);
            var outputs = episode.GetProperty("outputs");
            var ihmEntry = ihm.Entries.Single(e => e.EpisodeFile == file);
            var phenoEntry = pheno.Entries.Single(e => e.EpisodeFile == file);
            Assert.Equal(episode.GetProperty("stay_id").GetInt64(), phenoEntry.StayId);
            Assert.Equal([outputs.GetProperty("ihm").GetProperty("labels_returned").GetInt32()], ihmEntry.Labels);
            Assert.Equal(outputs.GetProperty("pheno").GetProperty("labels_returned").EnumerateArray().Select(l => l.GetInt32()), phenoEntry.Labels);
            Assert.Equal(outputs.GetProperty("ihm").GetProperty("n_bins").GetInt32(),
                discretizer.StepCount(EpisodeWindow.EndHours(ClinicalTask.InHospitalMortality, ihmEntry.PeriodLength)));
            Assert.Equal(outputs.GetProperty("pheno").GetProperty("n_bins").GetInt32(),
                discretizer.StepCount(EpisodeWindow.EndHours(ClinicalTask.Phenotyping, phenoEntry.PeriodLength)));
        }
    }

    [Theory]
    [InlineData("episode,los\n", "header must start")]
    [InlineData("stay,period_length,stay_id,y_true\na.csv,0,1\n", "line 2: expected 4 cells")]
    [InlineData("stay,period_length,stay_id,y_true\na.csv,-3,1,0\n", "period_length '-3'")]
    [InlineData("stay,period_length,stay_id,y_true\na.csv,0,x,0\n", "stay_id 'x'")]
    [InlineData("stay,period_length,stay_id,y_true\na.csv,0,1,2\n", "label 'y_true' is '2'")]
    public void Malformed_listfiles_are_rejected_with_the_line(string content, string expected)
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("listfile.csv");
        File.WriteAllText(path, content);
        var error = Assert.Throws<ClinFuseException>(() => EpisodeListfile.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }
}
