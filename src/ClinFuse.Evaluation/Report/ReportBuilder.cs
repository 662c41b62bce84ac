using ClinFuse.Core.Tasks;
using System.Net;
using System.Text;
using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Evaluation.Metrics;

namespace ClinFuse.Evaluation.Report;

/// <summary>What <c>clinfuse report</c> was asked to do.</summary>
/// <param name="RunFolders">Run folders (each with metrics.json).</param>
/// <param name="OutFolder">Folder for report.html, tables/ and figures/.</param>
/// <param name="ProvenancePath">Optional JSON with cohort flow, hashes and other facts to show.</param>
/// <param name="TruthPath">Optional predictions CSV holding a synthetic cohort's oracle probabilities.</param>
/// <param name="Force">Replace a non-empty <paramref name="OutFolder"/>.</param>
public sealed record ReportRequest(IReadOnlyList<string> RunFolders, string OutFolder, string? ProvenancePath = null, string? TruthPath = null, bool Force = false);

/// <summary>A PNG figure of the report.</summary>
public sealed record ReportFigure(string FileName, string Caption, byte[] Png);

/// <summary>Everything the report shows, before it is written.</summary>
public sealed record ReportContent(IReadOnlyList<RunInput> Runs, IReadOnlyList<ReportTable> Tables, IReadOnlyList<ReportFigure> Figures, IReadOnlyList<ReportTable> Provenance);

/// <summary>Builds the paper's tables and Fig. 4 from run folders and writes report.html, tables/*.md and figures/*.png.</summary>
public static class ReportBuilder
{
    /// <summary>The report page inside the report folder.</summary>
    public const string HtmlFile = "report.html";

    /// <summary>The report's name of the phenotyping task (run tasks are normalised to short names).</summary>
    static readonly string Phenotyping = ClinicalTasks.ShortName(ClinicalTask.Phenotyping);

    static readonly string[] MetricNames = ["AUROC", "AUPRC", "macro-F1", "binary-F1"];

    /// <summary>Reads the inputs, builds the report and writes it (all files appear at once).</summary>
    public static ReportContent Run(ReportRequest request)
    {
        if (request.RunFolders.Count == 0) throw new ClinFuseException("No run folders given.", "Pass one or more --run DIR.", ExitCodes.Usage);
        if (request.RunFolders.GroupBy(f => Path.GetFullPath(f).TrimEnd('/')).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ClinFuseException($"--run {twice.Key} is given {twice.Count()} times.", "Give each run folder once.", ExitCodes.Usage);
        var outFolder = Path.GetFullPath(request.OutFolder);
        if (Directory.Exists(outFolder) && Directory.EnumerateFileSystemEntries(outFolder).Any() && !request.Force)
            throw new ClinFuseException($"Output folder {outFolder} is not empty.", "Choose another --out or add --force to replace it.");
        var runs = request.RunFolders.Select(RunFolders.Load).ToList();
        var content = Build(runs, request.ProvenancePath, request.TruthPath);
        Write(content, outFolder);
        return content;
    }

    /// <summary>Builds tables, figures and provenance from loaded runs.</summary>
    public static ReportContent Build(IReadOnlyList<RunInput> runs, string? provenancePath = null, string? truthPath = null)
    {
        var tables = new List<ReportTable>
        {
            SummaryTable("table1_ihm", "Table I — In-hospital mortality", ClinicalTasks.ShortName(ClinicalTask.InHospitalMortality), PaperResults.TableI, runs),
            SummaryTable("table2_phenotyping", "Table II — Phenotyping", Phenotyping, PaperResults.TableII, runs),
            SummaryTable("table3_ablation", "Table III — Ablation (phenotyping)", Phenotyping, PaperResults.TableIII, runs),
            NoiseTable("table4_noise_train_test", "Table IV — Trained and tested on noisy data (phenotyping)", RobustnessLayout.NoisyTrainTest, PaperResults.TableIV, runs),
            NoiseTable("table5_noise_test_only", "Table V — Trained clean, tested on noisy data (phenotyping)", RobustnessLayout.CleanTrainNoisyTest, PaperResults.TableV, runs),
            PerLabelTable(runs),
            AllRunsTable(runs),
        };
        if (truthPath is not null) tables.Add(OracleTable(truthPath, runs));
        var figures = new List<ReportFigure>
        {
            NoiseFigure("fig4_noise_train_test", "Fig. 4 (trained and tested on noisy data)", RobustnessLayout.NoisyTrainTest, PaperResults.TableIV, runs),
            NoiseFigure("fig4_noise_test_only", "Fig. 4 (trained clean, tested on noisy data)", RobustnessLayout.CleanTrainNoisyTest, PaperResults.TableV, runs),
            ReliabilityFigure(runs),
        };
        return new ReportContent(runs, tables, figures, ProvenanceTables(runs, provenancePath));
    }

    static RunInput? Find(IReadOnlyList<RunInput> runs, string task, IReadOnlyList<string> modelNames) =>
        runs.FirstOrDefault(r => r.Task == task && modelNames.Any(n => string.Equals(n.Trim(), r.Model.Trim(), StringComparison.OrdinalIgnoreCase)));

    static string[] MeasuredAndPaper(SummaryMetrics? measured, PaperRow paper) =>
    [
        ReportFormat.Cell(measured?.F1Macro), ReportFormat.Paper(paper.MacroF1),
        ReportFormat.Cell(measured?.F1Binary), ReportFormat.Paper(paper.BinaryF1),
        ReportFormat.Cell(measured?.Auroc.Macro), ReportFormat.Paper(paper.Auroc),
        ReportFormat.Cell(measured?.Auprc.Macro), ReportFormat.Paper(paper.Auprc),
    ];

    static readonly string[] SummaryHeader = ["macro-F1", "paper", "binary-F1", "paper", "AUROC", "paper", "AUPRC", "paper"];

    static ReportTable SummaryTable(string file, string title, string task, IReadOnlyList<PaperTableRow> paperRows, IReadOnlyList<RunInput> runs)
    {
        var rows = new List<string[]>();
        foreach (var paperRow in paperRows)
        {
            var run = Find(runs, task, paperRow.ModelNames);
            rows.Add([paperRow.Name, .. MeasuredAndPaper(run?.Main.Metrics.Summary, paperRow.Published), run is null ? ReportFormat.NotRun : Path.GetFileName(run.Folder)]);
        }
        return new ReportTable(file, title,
            "Measured: test-set value [95% bootstrap CI]; macro-F1 = mean over labels of the two-class macro F1, binary-F1 = mean positive-class F1, both at p > 0.5; AUROC/AUPRC macro over labels. Paper: published test-set numbers (Rasekh et al. 2024).",
            ["Model", .. SummaryHeader, "run"], rows);
    }

    /// <summary>The run for one arm of the noise tables: a phenotyping run with that model that has this protocol's results.</summary>
    static RunInput? NoiseRun(IReadOnlyList<RunInput> runs, IReadOnlyList<string> names, string protocol) =>
        runs.Where(r => r.Task == Phenotyping && names.Any(n => string.Equals(n, r.Model, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(r => r.Robustness.Any(x => x.Protocol == protocol));

    /// <summary>The attention arm of a noise table: the first name group with robustness results.</summary>
    static RunInput? AttentionNoiseRun(IReadOnlyList<RunInput> runs, string protocol) =>
        PaperResults.NoiseAttentionNames.Select(names => NoiseRun(runs, names, protocol)).FirstOrDefault(r => r is not null);

    static SummaryMetrics? AtLevel(RunInput? run, string protocol, int level) =>
        run?.Robustness.FirstOrDefault(x => x.Protocol == protocol && x.Level == level)?.Input.Metrics.Summary;

    static List<int> Levels(IReadOnlyList<PaperNoiseRow> paper, string protocol, params RunInput?[] arms)
    {
        var levels = new SortedSet<int>(paper.Select(p => p.Level));
        foreach (var arm in arms)
            if (arm is not null)
                foreach (var x in arm.Robustness) if (x.Protocol == protocol) levels.Add(x.Level);
        return [.. levels];
    }

    static Estimate? Metric(SummaryMetrics? s, int metric) => s is null ? null : metric switch
    {
        0 => s.Auroc.Macro,
        1 => s.Auprc.Macro,
        2 => s.F1Macro,
        _ => s.F1Binary,
    };

    static double Metric(PaperRow row, int metric) => metric switch
    {
        0 => row.Auroc,
        1 => row.Auprc,
        2 => row.MacroF1,
        _ => row.BinaryF1,
    };

    static ReportTable NoiseTable(string file, string title, string protocol, IReadOnlyList<PaperNoiseRow> paper, IReadOnlyList<RunInput> runs)
    {
        var attention = AttentionNoiseRun(runs, protocol);
        var medFuse = NoiseRun(runs, PaperResults.MedFuseNames, protocol);
        var header = new List<string> { "noise %" };
        foreach (var arm in new[] { "Attention", "MedFuse" })
            foreach (var metric in MetricNames) header.AddRange([$"{arm} {metric}", "paper"]);
        var rows = new List<string[]>();
        foreach (int level in Levels(paper, protocol, attention, medFuse))
        {
            var published = paper.FirstOrDefault(p => p.Level == level);
            var row = new List<string> { level.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            foreach (var (run, pick) in new[] { (attention, (Func<PaperNoiseRow, PaperRow>)(p => p.Attention)), (medFuse, p => p.MedFuse) })
                for (int m = 0; m < MetricNames.Length; m++)
                    row.AddRange([ReportFormat.Cell(Metric(AtLevel(run, protocol, level), m)), published is null ? "-" : ReportFormat.Paper(Metric(pick(published), m))]);
            rows.Add([.. row]);
        }
        return new ReportTable(file, title,
            $"Measured: robustness/{protocol}/<level>/metrics.json of the phenotyping runs for Attention ({Describe(attention)}{(attention is null ? "" : $", model \"{attention.Model}\"")}) and MedFuse ({Describe(medFuse)}); value [95% CI]. Paper: published numbers.",
            header, rows);
    }

    static string Describe(RunInput? run) => run is null ? ReportFormat.NotRun : Path.GetFileName(run.Folder);

    static ReportTable PerLabelTable(IReadOnlyList<RunInput> runs)
    {
        var with = Find(runs, Phenotyping, PaperResults.AttentionUncertaintyNames);
        var without = Find(runs, Phenotyping, PaperResults.AttentionNames);
        static LabelMetrics? Label(RunInput? run, string label) => run?.Main.Metrics.PerLabel.FirstOrDefault(l => l.Label == label);
        var rows = new List<string[]>();
        foreach (var paper in PaperResults.TableVI)
        {
            var w = Label(with, paper.Label);
            var wo = Label(without, paper.Label);
            rows.Add([paper.Label,
                ReportFormat.Cell(w?.Auroc), ReportFormat.Paper(paper.AurocWith), ReportFormat.Cell(w?.Auprc), ReportFormat.Paper(paper.AuprcWith),
                ReportFormat.Cell(wo?.Auroc), ReportFormat.Paper(paper.AurocWithout), ReportFormat.Cell(wo?.Auprc), ReportFormat.Paper(paper.AuprcWithout)]);
        }
        var averages = PaperResults.TableVIAverages;
        var sw = with?.Main.Metrics.Summary;
        var swo = without?.Main.Metrics.Summary;
        rows.Add(["Average",
            ReportFormat.Cell(sw?.Auroc.Macro), ReportFormat.Paper(averages.AurocWith), ReportFormat.Cell(sw?.Auprc.Macro), ReportFormat.Paper(averages.AuprcWith),
            ReportFormat.Cell(swo?.Auroc.Macro), ReportFormat.Paper(averages.AurocWithout), ReportFormat.Cell(swo?.Auprc.Macro), ReportFormat.Paper(averages.AuprcWithout)]);
        return new ReportTable("table6_per_label", "Table VI — Per-phenotype AUROC / AUPRC, attention with vs without uncertainty loss",
            $"With: phenotyping run named 'Attention + uncertainty loss' ({Describe(with)}); without: run named 'Attention' ({Describe(without)}). Value [95% CI]; 'undefined' where a label has one class in the test set.",
            ["Phenotype", "with AUROC", "paper", "with AUPRC", "paper", "without AUROC", "paper", "without AUPRC", "paper"], rows);
    }

    static ReportTable AllRunsTable(IReadOnlyList<RunInput> runs)
    {
        var rows = runs.Select(r =>
        {
            var m = r.Main.Metrics;
            var s = m.Summary;
            return new[]
            {
                Path.GetFileName(r.Folder), r.Model, r.Task, m.Split ?? "-", m.Samples.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{s.Auroc.LabelsCovered}/{s.Auroc.LabelsTotal}", ReportFormat.Cell(s.Auroc.Macro), ReportFormat.Cell(s.Auprc.Macro),
                ReportFormat.Cell(s.F1Macro), ReportFormat.Cell(s.F1Binary), MetricsText.Number(s.Brier, 4), MetricsText.Number(s.EceTopLabel, 4),
                r.Robustness.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }).ToList();
        return new ReportTable("runs", "All runs",
            "Every run given to the report, whether or not it fills a paper row. Labels: covered by the macro averages / total (a label with one class in the set is undefined). ECE: top-label, 15 bins.",
            ["run", "model", "task", "split", "n", "labels", "AUROC", "AUPRC", "macro-F1", "binary-F1", "Brier", "ECE", "robustness results"], rows);
    }

    static ReportTable OracleTable(string truthPath, IReadOnlyList<RunInput> runs)
    {
        var oracle = Evaluator.Evaluate(PredictionsFile.Read(truthPath), resamples: null, seed: null, source: truthPath);
        var task = RunFolders.NormalizeTask(oracle.Task);
        var rows = new List<string[]>
        {
            new[] { "Oracle (true probabilities)", task, ReportFormat.Cell(oracle.Summary.Auroc.Macro), ReportFormat.Cell(oracle.Summary.Auprc.Macro) },
        };
        foreach (var run in runs.Where(r => r.Task == task))
            rows.Add([run.Model, task, ReportFormat.Cell(run.Main.Metrics.Summary.Auroc.Macro), ReportFormat.Cell(run.Main.Metrics.Summary.Auprc.Macro)]);
        return new ReportTable("oracle", "Synthetic cohort: oracle vs models",
            $"Oracle: the synthetic generator's true probabilities ({Path.GetFileName(truthPath)}) evaluated on the same labels; no model can be expected to exceed it except by chance.",
            ["predictor", "task", "AUROC", "AUPRC"], rows);
    }

    static ReportFigure NoiseFigure(string file, string title, string protocol, IReadOnlyList<PaperNoiseRow> paper, IReadOnlyList<RunInput> runs)
    {
        var attention = AttentionNoiseRun(runs, protocol);
        var medFuse = NoiseRun(runs, PaperResults.MedFuseNames, protocol);
        var panels = new List<(string, IReadOnlyList<NoiseCurve>)>();
        for (int m = 0; m < MetricNames.Length; m++)
        {
            var curves = new List<NoiseCurve>();
            foreach (var (name, run, color, pick) in new[]
            {
                ("Attention", attention, "#1f77b4", (Func<PaperNoiseRow, PaperRow>)(p => p.Attention)),
                ("MedFuse", medFuse, "#d62728", p => p.MedFuse),
            })
            {
                var measured = run?.Robustness.Where(x => x.Protocol == protocol)
                    .Select(x => (x.Level, Estimate: Metric(x.Input.Metrics.Summary, m)))
                    .Where(x => x.Estimate?.Value is not null).ToList() ?? [];
                if (measured.Count > 0)
                {
                    bool hasCi = measured.All(x => x.Estimate!.CiLower is not null && x.Estimate.CiUpper is not null);
                    curves.Add(new NoiseCurve($"{name} (measured)", measured.Select(x => (double)x.Level).ToArray(),
                        measured.Select(x => x.Estimate!.Value!.Value).ToArray(),
                        hasCi ? measured.Select(x => x.Estimate!.CiLower!.Value).ToArray() : null,
                        hasCi ? measured.Select(x => x.Estimate!.CiUpper!.Value).ToArray() : null, false, color));
                }
                curves.Add(new NoiseCurve($"{name} (paper)", paper.Select(p => (double)p.Level).ToArray(), paper.Select(p => Metric(pick(p), m)).ToArray(), null, null, true, color));
            }
            panels.Add((MetricNames[m], curves));
        }
        bool anyMeasured = attention is not null || medFuse is not null;
        var caption = $"{title}: phenotyping metrics vs noise level, measured (solid, 95% CI band) and published (dashed)." + (anyMeasured ? "" : " No run has results for this protocol: published curves only.");
        return new ReportFigure(file, caption, Figures.NoisePanels(title + (anyMeasured ? "" : " — not run"), panels));
    }

    static ReportFigure ReliabilityFigure(IReadOnlyList<RunInput> runs)
    {
        var panels = runs.Select(r => ($"{r.Model} ({r.Task}, {Path.GetFileName(r.Folder)})", PooledReliability(r.Main.Metrics.PerLabel))).ToList();
        return new ReportFigure("reliability", "Calibration: reliability diagram of each run (15 bins of the predicted probability, pooled over labels); the dotted diagonal is perfect calibration.",
            Figures.ReliabilityPanels("Reliability diagrams", panels));
    }

    /// <summary>The labels' positive-class bins summed: counts added, means weighted by count.</summary>
    static IReadOnlyList<CalibrationBin> PooledReliability(IReadOnlyList<LabelMetrics> labels)
    {
        var first = labels[0].Calibration.Reliability;
        var pooled = new List<CalibrationBin>(first.Count);
        for (int k = 0; k < first.Count; k++)
        {
            int count = 0;
            double scoreSum = 0, positiveSum = 0;
            foreach (var label in labels)
            {
                var bin = label.Calibration.Reliability[k];
                if (bin.Count == 0) continue;
                count += bin.Count;
                scoreSum += bin.Count * bin.MeanScore!.Value;
                positiveSum += bin.Count * bin.ObservedFraction!.Value;
            }
            pooled.Add(count == 0 ? first[k] with { Count = 0, MeanScore = null, ObservedFraction = null }
                : first[k] with { Count = count, MeanScore = scoreSum / count, ObservedFraction = positiveSum / count });
        }
        return pooled;
    }

    static List<ReportTable> ProvenanceTables(IReadOnlyList<RunInput> runs, string? provenancePath)
    {
        var tables = new List<ReportTable>();
        var inputs = new List<string[]>();
        foreach (var run in runs)
        {
            inputs.Add([run.Main.Path, run.Main.Sha256, run.Model, run.Main.Metrics.Source ?? "-"]);
            foreach (var x in run.Robustness) inputs.Add([x.Input.Path, x.Input.Sha256, $"{run.Model} ({x.Protocol}, {x.Level}%)", x.Input.Metrics.Source ?? "-"]);
        }
        tables.Add(new ReportTable("provenance_inputs", "Inputs of this report",
            $"SHA-256 of every metrics file read. Written by ClinFuse {ProductInfo.Version} on {ProductInfo.Runtime}.",
            ["metrics file", "SHA-256", "model", "predictions evaluated"], inputs));
        if (provenancePath is not null) tables.AddRange(ProvenanceFile(provenancePath));
        return tables;
    }

    /// <summary>
    /// Renders a provenance JSON: each array of objects (e.g. "cohort_flow") becomes a table with
    /// the union of their keys as columns; each object of scalars (e.g. "hashes") a key/value table;
    /// top-level scalars one key/value table.
    /// </summary>
    static IEnumerable<ReportTable> ProvenanceFile(string path)
    {
        if (!File.Exists(path)) throw new ClinFuseException($"Provenance file not found: {path}", "Pass a JSON file (format in docs/report.md) or leave --provenance out.");
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{path}: not valid JSON ({e.Message}).");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new ClinFuseException($"{path}: the provenance file must hold a JSON object.");
        var scalars = new List<string[]>();
        var tables = new List<ReportTable>();
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object))
            {
                var columns = value.EnumerateArray().SelectMany(e => e.EnumerateObject().Select(p => p.Name)).Distinct().ToList();
                var rows = value.EnumerateArray().Select(e => columns.Select(c => e.TryGetProperty(c, out var cell) ? Scalar(cell) : "").ToArray()).ToList();
                tables.Add(new ReportTable($"provenance_{Slug(property.Name)}", Title(property.Name), $"From {Path.GetFileName(path)}.", columns, rows));
            }
            else if (value.ValueKind == JsonValueKind.Object)
                tables.Add(new ReportTable($"provenance_{Slug(property.Name)}", Title(property.Name), $"From {Path.GetFileName(path)}.", ["key", "value"],
                    value.EnumerateObject().Select(p => new[] { p.Name, Scalar(p.Value) }).ToList()));
            else scalars.Add([property.Name, Scalar(value)]);
        }
        if (scalars.Count > 0) tables.Insert(0, new ReportTable("provenance_facts", "Provenance", $"From {Path.GetFileName(path)}.", ["key", "value"], scalars));
        return tables;
    }

    static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => "",
        _ => value.GetRawText(),
    };

    static string Title(string key) => key.Length == 0 ? key : char.ToUpperInvariant(key[0]) + key[1..].Replace('_', ' ');

    static string Slug(string key) => new([.. key.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    /// <summary>
    /// Writes report.html, tables/*.md and figures/*.png through a <see cref="StageOutput"/>: into a
    /// temporary sibling folder that replaces <paramref name="outFolder"/> only when complete.
    /// </summary>
    static void Write(ReportContent content, string outFolder)
    {
        using var output = StageOutput.Begin(outFolder, force: true);
        Directory.CreateDirectory(Path.Combine(output.Path, "tables"));
        Directory.CreateDirectory(Path.Combine(output.Path, "figures"));
        foreach (var table in content.Tables.Concat(content.Provenance))
            File.WriteAllText(output.PathFor("tables", table.FileName + ".md"), table.ToMarkdown());
        foreach (var figure in content.Figures)
            File.WriteAllBytes(output.PathFor("figures", figure.FileName + ".png"), figure.Png);
        File.WriteAllText(output.PathFor(HtmlFile), Html(content));
        output.Commit();
    }

    /// <summary>The self-contained HTML page (figures embedded as base64 PNG).</summary>
    public static string Html(ReportContent content)
    {
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>ClinFuse report</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            td.notrun { color: #999; font-style: italic; }
            .note { color: #555; font-size: 0.85em; max-width: 1100px; }
            img { max-width: 100%; border: 1px solid #eee; }
            </style></head><body>
            <h1>ClinFuse report</h1>

            """);
        html.Append("<p>Reproduction of the tables and Fig. 4 of Rasekh et al., \"Robust Fusion of Time Series and Image Data for Improved Multimodal Clinical Prediction\" (IEEE Access 2024), from ")
            .Append(content.Runs.Count).Append(" run(s). Rows or runs that were not given are shown as \"not run\"; nothing is filled in from elsewhere.</p>\n<ul>\n");
        foreach (var table in content.Tables)
            html.Append("<li><a href=\"#").Append(table.FileName).Append("\">").Append(WebUtility.HtmlEncode(table.Title)).Append("</a></li>\n");
        html.Append("<li><a href=\"#figures\">Figures</a></li>\n<li><a href=\"#provenance\">Provenance</a></li>\n</ul>\n");
        foreach (var table in content.Tables) html.Append(table.ToHtml());
        html.Append("<section id=\"figures\"><h2>Figures: Fig. 4 (robustness to noise) and calibration</h2>\n");
        foreach (var figure in content.Figures)
            html.Append("<figure><img alt=\"").Append(WebUtility.HtmlEncode(figure.Caption)).Append("\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(figure.Png)).Append("\"><figcaption class=\"note\">").Append(WebUtility.HtmlEncode(figure.Caption)).Append("</figcaption></figure>\n");
        html.Append("</section>\n<section id=\"provenance\"><h1>Provenance</h1>\n");
        foreach (var table in content.Provenance) html.Append(table.ToHtml());
        html.Append("</section>\n</body></html>\n");
        return html.ToString();
    }
}
