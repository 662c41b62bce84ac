using System.Globalization;
using System.Text.Json;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>Access to the reference discretizer outputs in tests/fixtures/discretizer.</summary>
internal static class GoldenFiles
{
    public static readonly string[] Episodes =
    [
        "10000000_ep01_typical", "10000001_ep02_same_bin_overwrite", "10000002_ep03_boundaries_and_cuts",
        "10000003_ep04_long_gaps", "10000004_ep05_one_row", "10000005_ep06_empty_after_cut",
        "10000006_ep07_categorical_variety", "10000007_ep08_numeric_formats", "10000008_ep09_crlf_line_endings",
        "10000009_ep10_header_swapped_ignored",
    ];

    public static TheoryData<string, ClinicalTask> EpisodeTaskPairs()
    {
        var data = new TheoryData<string, ClinicalTask>();
        foreach (var e in Episodes)
        {
            data.Add(e, ClinicalTask.InHospitalMortality);
            data.Add(e, ClinicalTask.Phenotyping);
        }
        return data;
    }

    public static string EpisodePath(string name) => Fixtures.Path("discretizer", "episodes", $"{name}_timeseries.csv");

    public static string ErrorEpisodePath(string name) =>
        Directory.GetFiles(Fixtures.Path("discretizer", "episodes", "errors"), $"*_{name}_timeseries.csv").Single();

    /// <summary>The end hours the reference reader used: IHM 48 h, phenotyping the listfile's period length.</summary>
    public static double EndHours(string name, ClinicalTask task)
    {
        var entry = Listfile(task).Entries.Single(e => e.EpisodeFile == $"{name}_timeseries.csv");
        return EpisodeWindow.EndHours(task, entry.PeriodLength);
    }

    public static EpisodeListfile Listfile(ClinicalTask task) =>
        EpisodeListfile.Read(Fixtures.Path("discretizer", task == ClinicalTask.InHospitalMortality ? "ihm_listfile.csv" : "pheno_listfile.csv"));

    /// <summary>Header names and float64 rows of an expected matrix (values are Python float reprs: parse exactly).</summary>
    public static (string[] Header, double[][] Rows) Matrix(string name, ClinicalTask task, bool normalized)
    {
        string folder = task == ClinicalTask.InHospitalMortality ? "ihm" : "pheno";
        var lines = File.ReadAllLines(Fixtures.Path("discretizer", "expected", folder, $"{name}.{(normalized ? "normalized" : "raw")}.csv"));
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return (lines[0].Split(','), rows);
    }

    public static JsonElement Json(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("discretizer", file)));
        return doc.RootElement.Clone();
    }
}
