using System.IO.Compression;
using ClinFuse.Core;
using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Tests.Mimic;

public sealed class ChexpertLabelsTests
{
    const string Header = "subject_id,study_id,Atelectasis,Cardiomegaly,Consolidation,Edema,Enlarged Cardiomediastinum,Fracture,Lung Lesion,Lung Opacity,No Finding,Pleural Effusion,Pleural Other,Pneumonia,Pneumothorax,Support Devices";

    [Theory]
    [InlineData("1.0", 1f)]
    [InlineData("1", 1f)]
    [InlineData("0.0", 0f)]
    [InlineData("-1.0", 0f)]
    [InlineData("", 0f)]
    public void Only_a_positive_finding_is_a_positive_target(string cell, float expected) =>
        Assert.Equal(expected, ChexpertLabels.Target(cell));

    [Theory]
    [InlineData("2.0")]
    [InlineData("yes")]
    [InlineData("0.5")]
    public void Values_the_labeller_never_writes_are_refused(string cell) =>
        Assert.Throws<FormatException>(() => ChexpertLabels.Target(cell));

    static string Write(string folder, params string[] rows)
    {
        var path = Path.Combine(folder, ChexpertLabels.TableName + ".csv.gz");
        using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        using var writer = new StreamWriter(gz);
        writer.WriteLine(Header);
        foreach (var row in rows) writer.WriteLine(row);
        return path;
    }

    [Fact]
    public void The_table_is_found_in_the_cxr_folder_and_read_per_study()
    {
        using var dir = Fixtures.TempFolder();
        Assert.Null(ChexpertLabels.Find(dir.Path));
        var path = Write(dir.Path,
            "10000032,50414267,,,,,,,,,1.0,,,,,",
            "10000032,53189527,1.0,-1.0,0.0,,,,,1.0,,-1.0,,,,1.0");
        Assert.Equal(path, ChexpertLabels.Find(dir.Path));
        var labels = ChexpertLabels.Read(path);
        Assert.Equal(2, labels.Count);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], labels[50414267]);
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], labels[53189527]);
    }

    [Fact]
    public void A_bad_cell_or_a_repeated_study_names_the_file_row_and_label()
    {
        using var dir = Fixtures.TempFolder();
        var bad = Write(dir.Path, "10000032,50414267,,,,,,,,,1.0,,,,,", "10000032,53189527,,,,7.0,,,,,,,,,,");
        var e = Assert.Throws<ClinFuseException>(() => ChexpertLabels.Read(bad));
        Assert.Contains("data row 2", e.Message);
        Assert.Contains("Edema", e.Message);
        var repeated = Write(dir.Path, "10000032,50414267,,,,,,,,,1.0,,,,,", "10000032,50414267,,,,,,,,,1.0,,,,,");
        Assert.Contains("appears twice", Assert.Throws<ClinFuseException>(() => ChexpertLabels.Read(repeated)).Message);
    }
}
