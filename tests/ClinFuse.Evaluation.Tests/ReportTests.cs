using System.Security.Cryptography;
using ClinFuse.Core;
using ClinFuse.Evaluation.Report;
using SkiaSharp;

namespace ClinFuse.Evaluation.Tests;

/// <summary>Generated run folders (metrics files of random predictions) and the report written from them.</summary>
public sealed class GeneratedRuns : IDisposable
{
    static readonly string[] Phenotypes = PhenotypeGroups.Labels.Select(l => l.Label).ToArray();

    public GeneratedRuns()
    {
        Runs =
        [
            Run(Folder, "ihm-attention", "Attention", "ihm", 1),
            Run(Folder, "ihm-medfuse", "MedFuse", "ihm", 2),
            Run(Folder, "pheno-attention", "Attention", "phenotyping", 3, (RobustnessLayout.NoisyTrainTest, 10), (RobustnessLayout.NoisyTrainTest, 30), (RobustnessLayout.CleanTrainNoisyTest, 10)),
            Run(Folder, "pheno-medfuse", "MedFuse", "phenotyping", 4, (RobustnessLayout.CleanTrainNoisyTest, 10), (RobustnessLayout.CleanTrainNoisyTest, 60)),
            Run(Folder, "pheno-uncertainty", "Attention + uncertainty loss", "phenotyping", 5),
            Run(Folder, "custom", "Something else", "phenotyping", 6),
        ];
        OutFolder = Folder.Combine("report");
        Content = ReportBuilder.Run(new ReportRequest(Runs, OutFolder));
    }

    public TempFolder Folder { get; } = Fixtures.TempFolder();
    public List<string> Runs { get; }
    public string OutFolder { get; }
    public ReportContent Content { get; }

    public void Dispose() => Folder.Dispose();

    public static string Run(TempFolder folder, string name, string model, string task, int seed, params (string Protocol, int Level)[] robustness)
    {
        var dir = folder.Combine("runs", name);
        var labels = task == "ihm" ? new[] { "In-hospital mortality" } : Phenotypes;
        MetricsJson.Write(Path.Combine(dir, "metrics.json"), Evaluator.Evaluate(EvaluatorTests.RandomSet(seed, 120, labels, model, task), 50, seed));
        foreach (var (protocol, level) in robustness)
            MetricsJson.Write(Path.Combine(dir, "robustness", protocol, level.ToString(), "metrics.json"),
                Evaluator.Evaluate(EvaluatorTests.RandomSet(seed + level, 120, labels, model, task, signal: 0.3 - level / 400.0), 50, seed));
        return dir;
    }
}

/// <summary>Structural tests of the report on a small generated set of run folders.</summary>
public sealed class ReportTests(GeneratedRuns generated) : IClassFixture<GeneratedRuns>, IDisposable
{
    readonly TempFolder _folder = Fixtures.TempFolder();

    public void Dispose() => _folder.Dispose();

    string Run(string name, string model, string task, int seed) => GeneratedRuns.Run(_folder, name, model, task, seed);

    static string[] Row(ReportTable table, string first) => table.Rows.Single(r => r[0] == first);

    [Fact]
    public void EveryTableAndFigureIsWrittenAndThePngsAreValid()
    {
        var (outFolder, content) = (generated.OutFolder, generated.Content);
        string[] expectedTables = ["table1_ihm", "table2_phenotyping", "table3_ablation", "table4_noise_train_test", "table5_noise_test_only", "table6_per_label", "runs", "provenance_inputs"];
        foreach (var table in expectedTables)
            Assert.True(File.Exists(Path.Combine(outFolder, "tables", table + ".md")), table);
        var html = File.ReadAllText(Path.Combine(outFolder, "report.html"));
        foreach (var table in content.Tables) Assert.Contains(System.Net.WebUtility.HtmlEncode(table.Title), html);
        foreach (var name in new[] { "fig4_noise_train_test", "fig4_noise_test_only" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(outFolder, "figures", name + ".png"));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.Equal(1120, bitmap.Width);
            Assert.Equal(880, bitmap.Height);
            Assert.Contains(Convert.ToBase64String(bytes), html);
        }
        var reliability = File.ReadAllBytes(Path.Combine(outFolder, "figures", "reliability.png"));
        using (var bitmap = SKBitmap.Decode(reliability))
            Assert.Equal(40 + 3 * 420, bitmap.Height); // six runs, two panels per row
        Assert.Contains(Convert.ToBase64String(reliability), html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain(Directory.GetDirectories(generated.Folder.Path), d => Path.GetFileName(d).Contains(".partial-") || Path.GetFileName(d).Contains(".old-"));
    }

    [Fact]
    public void SummaryTablesShowTheInputNumbersThePaperAndNotRun()
    {
        var (runs, content) = (generated.Runs, generated.Content);
        var ihmAttention = MetricsJson.Read(Path.Combine(runs[0], "metrics.json")).Summary;
        var table1 = content.Tables.Single(t => t.FileName == "table1_ihm");
        Assert.Equal(
            ["Attention", MetricsText.Format(ihmAttention.F1Macro), "0.691", MetricsText.Format(ihmAttention.F1Binary), "0.438",
             MetricsText.Format(ihmAttention.Auroc.Macro), "0.857", MetricsText.Format(ihmAttention.Auprc.Macro), "0.514", "ihm-attention"],
            Row(table1, "Attention"));
        Assert.Matches(@"^[01]\.\d{3} \[[01]\.\d{3}, [01]\.\d{3}\]$", Row(table1, "Attention")[5]);
        var card = Row(table1, "CARD");
        Assert.Equal([ReportFormat.NotRun, "0.660", ReportFormat.NotRun, "0.400"], card[1..5]);

        var table3 = content.Tables.Single(t => t.FileName == "table3_ablation");
        var medFuse = MetricsJson.Read(Path.Combine(runs[3], "metrics.json")).Summary;
        Assert.Equal(MetricsText.Format(medFuse.Auroc.Macro), Row(table3, "Multimodal LSTM fusion")[5]);
        Assert.Equal(ReportFormat.NotRun, Row(table3, "Image only")[1]);
        Assert.Contains(content.Tables.Single(t => t.FileName == "runs").Rows, r => r[1] == "Something else");
    }

    [Fact]
    public void Table_three_shows_the_peer_models_as_measured_rows_not_in_the_paper()
    {
        var mmtm = GeneratedRuns.Run(_folder, "mmtm", "MMTM", "phenotyping", 13);
        var late = GeneratedRuns.Run(_folder, "late", "Late fusion + CLAHE", "phenotyping", 14);
        var drfuse = GeneratedRuns.Run(_folder, "drfuse", "DrFuse", "phenotyping", 15);
        var content = ReportBuilder.Run(new ReportRequest([mmtm, late, drfuse], _folder.Combine("report-peers")));
        var table3 = content.Tables.Single(t => t.FileName == "table3_ablation");
        var measured = MetricsJson.Read(Path.Combine(mmtm, "metrics.json")).Summary;
        var row = Row(table3, "MMTM (not in the paper)");
        Assert.Equal(MetricsText.Format(measured.Auroc.Macro), row[5]);
        Assert.Equal(ReportFormat.Paper(double.NaN), row[6]);
        Assert.Equal("mmtm", row[^1]);
        Assert.Equal("late", Row(table3, "Late fusion (not in the paper)")[^1]);
        Assert.Equal("drfuse", Row(table3, "DrFuse (not in the paper)")[^1]);
        foreach (var name in new[] { "DAFT (not in the paper)", "Missing-modality tokens (not in the paper)" })
            Assert.Equal(ReportFormat.NotRun, Row(table3, name)[1]);
    }

    [Fact]
    public void NoiseTablesUseTheRobustnessFilesPerLevel()
    {
        var (runs, content) = (generated.Runs, generated.Content);
        var table4 = content.Tables.Single(t => t.FileName == "table4_noise_train_test");
        var at30 = MetricsJson.Read(Path.Combine(runs[2], "robustness", RobustnessLayout.NoisyTrainTest, "30", "metrics.json")).Summary;
        var row30 = Row(table4, "30");
        Assert.Equal(MetricsText.Format(at30.Auroc.Macro), row30[1]);
        Assert.Equal("0.751", row30[2]);
        Assert.Equal(MetricsText.Format(at30.F1Binary), row30[7]);
        Assert.Equal(ReportFormat.NotRun, Row(table4, "20")[1]);
        Assert.Equal(ReportFormat.NotRun, row30[9]);
        Assert.Equal(6, table4.Rows.Count);

        var table5 = content.Tables.Single(t => t.FileName == "table5_noise_test_only");
        var medFuse60 = MetricsJson.Read(Path.Combine(runs[3], "robustness", RobustnessLayout.CleanTrainNoisyTest, "60", "metrics.json")).Summary;
        Assert.Equal(MetricsText.Format(medFuse60.Auprc.Macro), Row(table5, "60")[11]);
        Assert.Equal("0.315", Row(table5, "60")[12]);
    }

    [Fact]
    public void Without_a_plain_attention_run_the_noise_tables_use_the_attention_variant_that_has_robustness_results()
    {
        var variant = GeneratedRuns.Run(_folder, "attention-uncertainty-clahe", "Attention + Uncertainty + CLAHE", "phenotyping", 11, (RobustnessLayout.CleanTrainNoisyTest, 20));
        var medfuse = GeneratedRuns.Run(_folder, "medfuse", "MedFuse", "phenotyping", 12, (RobustnessLayout.CleanTrainNoisyTest, 20));
        var content = ReportBuilder.Run(new ReportRequest([variant, medfuse], _folder.Combine("report-variant")));

        var table5 = content.Tables.Single(t => t.FileName == "table5_noise_test_only");
        var at20 = MetricsJson.Read(Path.Combine(variant, "robustness", RobustnessLayout.CleanTrainNoisyTest, "20", "metrics.json")).Summary;
        Assert.Equal(MetricsText.Format(at20.Auroc.Macro), Row(table5, "20")[1]);
        Assert.Contains("Attention + Uncertainty + CLAHE", table5.Note);
    }

    [Fact]
    public void PerLabelTableComparesWithAndWithoutUncertaintyLoss()
    {
        var (runs, content) = (generated.Runs, generated.Content);
        var table6 = content.Tables.Single(t => t.FileName == "table6_per_label");
        Assert.Equal(26, table6.Rows.Count);
        var with = MetricsJson.Read(Path.Combine(runs[4], "metrics.json"));
        var without = MetricsJson.Read(Path.Combine(runs[2], "metrics.json"));
        var shock = Row(table6, "Shock");
        Assert.Equal(MetricsText.Format(with.PerLabel[^1].Auroc), shock[1]);
        Assert.Equal("0.890", shock[2]);
        Assert.Equal(MetricsText.Format(without.PerLabel[^1].Auprc), shock[7]);
        Assert.Equal("0.552", shock[8]);
        Assert.Equal(MetricsText.Format(with.Summary.Auroc.Macro), Row(table6, "Average")[1]);
    }

    [Fact]
    public void ProvenanceShowsInputHashesTheGivenFactsAndTheOracle()
    {
        var runs = generated.Runs.Take(3).ToList();
        var provenance = _folder.Combine("provenance.json");
        File.WriteAllText(provenance, """
            { "cohort": "synthetic seed 7", "cohort_flow": [ {"stage": "stays", "count": 140}, {"stage": "episodes", "count": 112, "note": "after filters"} ],
              "hashes": { "listfile.csv": "abc123" } }
            """);
        var truth = _folder.Combine("oracle.csv");
        PredictionsFile.Write(truth, EvaluatorTests.RandomSet(9, 100, ["In-hospital mortality"], "oracle", "ihm", signal: 0.5));
        var content = ReportBuilder.Build(runs.Select(RunFolders.Load).ToList(), provenance, truth);

        var inputs = content.Provenance.Single(t => t.FileName == "provenance_inputs");
        var main = Path.Combine(runs[0], "metrics.json");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(main))), Row(inputs, Path.GetFullPath(main))[1]);
        Assert.Equal(3 + 3, inputs.Rows.Count);
        var flow = content.Provenance.Single(t => t.FileName == "provenance_cohort_flow");
        Assert.Equal(["stage", "count", "note"], flow.Header);
        Assert.Equal(["episodes", "112", "after filters"], flow.Rows[1]);
        Assert.Equal(["listfile.csv", "abc123"], content.Provenance.Single(t => t.FileName == "provenance_hashes").Rows[0]);
        Assert.Equal(["cohort", "synthetic seed 7"], content.Provenance.Single(t => t.FileName == "provenance_facts").Rows[0]);

        var oracle = content.Tables.Single(t => t.FileName == "oracle");
        var expected = Evaluator.Evaluate(PredictionsFile.Read(truth), resamples: null, seed: null).Summary.Auroc.Macro;
        Assert.Equal(MetricsText.Format(expected), Row(oracle, "Oracle (true probabilities)")[2]);
        Assert.Equal(3, oracle.Rows.Count);
    }

    [Fact]
    public void BadInputsAreClearErrorsAndLeaveNoOutput()
    {
        var outFolder = _folder.Combine("report");
        var empty = Directory.CreateDirectory(_folder.Combine("empty-run")).FullName;
        Assert.Contains("no metrics.json", Assert.Throws<ClinFuseException>(() => ReportBuilder.Run(new ReportRequest([empty], outFolder))).Message);

        var run = Run("bad-level", "Attention", "phenotyping", 1);
        Directory.CreateDirectory(Path.Combine(run, "robustness", RobustnessLayout.NoisyTrainTest, "ten"));
        Assert.Contains("noise level in percent", Assert.Throws<ClinFuseException>(() => ReportBuilder.Run(new ReportRequest([run], outFolder))).Message);

        var good = Run("good", "Attention", "ihm", 2);
        var provenance = _folder.Combine("broken.json");
        File.WriteAllText(provenance, "{ broken");
        Assert.Contains("not valid JSON", Assert.Throws<ClinFuseException>(() => ReportBuilder.Run(new ReportRequest([good], outFolder, provenance))).Message);
        Assert.False(Directory.Exists(outFolder));

        ReportBuilder.Run(new ReportRequest([good], outFolder));
        Assert.Contains("not empty", Assert.Throws<ClinFuseException>(() => ReportBuilder.Run(new ReportRequest([good], outFolder))).Message);
        ReportBuilder.Run(new ReportRequest([good], outFolder, Force: true));
        Assert.True(File.Exists(Path.Combine(outFolder, "report.html")));
    }
}
