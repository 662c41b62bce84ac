namespace ClinFuse.Cli.Tests;

/// <summary>The quick demo runs the whole chain, as a user would start it, and its report has every table.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Quick_demo_runs_every_stage_and_reports_every_table_and_a_verdict()
    {
        using var dir = Fixtures.TempFolder("clinfuse-demo-");
        var root = dir.Combine("demo");
        var r = await CliRunner.RunAsync("demo", "--quick", "--out", root, "--threads", "2");
        Assert.True(r.ExitCode == 0, r.Err);

        var report = Path.Combine(root, "report");
        Assert.True(File.Exists(Path.Combine(report, "report.html")));
        foreach (var table in new[] { "table1_ihm", "table2_phenotyping", "table3_ablation", "table4_noise_train_test", "table5_noise_test_only", "table6_per_label", "oracle", "runs" })
            Assert.True(File.Exists(Path.Combine(report, "tables", table + ".md")), $"missing table {table}");
        foreach (var figure in new[] { "fig4_noise_test_only", "reliability" })
            Assert.True(new FileInfo(Path.Combine(report, "figures", figure + ".png")).Length > 1000, $"missing figure {figure}");

        // The trained models land in their paper rows; the verdict is printed and recorded.
        var ablation = File.ReadAllText(Path.Combine(report, "tables", "table3_ablation.md"));
        Assert.Contains("| pretrain-ehr |", ablation);
        Assert.Contains("| attention-uncertainty-clahe |", ablation);
        // The paper baselines are trained from the CLI and fill their Table II rows.
        var phenotyping = File.ReadAllText(Path.Combine(report, "tables", "table2_phenotyping.md"));
        Assert.Contains("| card |", phenotyping);
        Assert.Contains("| contrastive-vit |", phenotyping);
        Assert.Contains("Verdict on the test split", r.Out);
        Assert.Contains("fusion beats time series only on the stays with an image", r.Out);
        Assert.Contains("fusion_minus_series_paired", File.ReadAllText(Path.Combine(root, "provenance.json")));
        // The image encoders were pre-trained on radiology labels first.
        Assert.True(File.Exists(Path.Combine(root, "runs", "pretrain-cxr-radiology-clahe", "best.safetensors")));
        Assert.True(File.Exists(Path.Combine(root, "runs", "attention-uncertainty-clahe", "robustness", "clean-train-noisy-test", "30", "metrics.json")));

        // A rerun finds every step complete and redoes nothing.
        var again = await CliRunner.RunAsync("demo", "--quick", "--out", root, "--threads", "2");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(22, again.Out.Split('\n').Count(l => l.Contains("already done, skipped.")));

        // A damaged output is not skipped to: its step runs again.
        File.AppendAllText(Path.Combine(report, "report.html"), "<!-- edited -->");
        var repaired = await CliRunner.RunAsync("demo", "--quick", "--out", root, "--threads", "2");
        Assert.Equal(0, repaired.ExitCode);
        Assert.Equal(21, repaired.Out.Split('\n').Count(l => l.Contains("already done, skipped.")));
        Assert.DoesNotContain("<!-- edited -->", File.ReadAllText(Path.Combine(report, "report.html")));
    }
}
