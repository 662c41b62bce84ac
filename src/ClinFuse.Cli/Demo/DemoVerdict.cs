using System.Globalization;
using System.Text.Json.Nodes;
using ClinFuse.Core.Tasks;
using ClinFuse.Evaluation;
using ClinFuse.Training.Evaluation;

namespace ClinFuse.Cli.Demo;

/// <summary>One tested statement of the demo's verdict.</summary>
/// <param name="Statement">What is claimed.</param>
/// <param name="Passed">Whether the numbers support it; null when an input is missing.</param>
/// <param name="Evidence">The numbers.</param>
/// <param name="OutOfReach">
/// Set when the oracle itself fails the check on the same test stays: no model can pass it at this
/// test size; says the oracle's numbers and the test size from which it would pass.
/// </param>
internal sealed record VerdictCheck(string Statement, bool? Passed, string Evidence, string? OutOfReach = null);

/// <summary>A model's test metrics (null: not evaluated) and the oracle that bounds it.</summary>
internal sealed record ScoredRun(string Title, OracleView Ceiling, MetricsResult? Metrics);

/// <summary>
/// The demo's claim as statistics on the test split, not as a comparison of point estimates.
/// Paired bootstrap differences of macro AUROC (the same resampled stays for both models) give
/// fusion − time series only on every test stay and on the stays with an image, and fusion − image
/// only on the stays with an image, each with its 95 % interval and <c>fraction_not_better</c> (the
/// share of resamples in which fusion is not better: a one-sided bootstrap p-value). Next to each,
/// the synthetic oracle's own ceiling for the same difference on the same stays says how much a
/// model could gain there at all. The checks are the demo's targets: every model's AUROC interval
/// above chance, each single-modality model within <see cref="OracleMargin"/> of its oracle, and
/// fusion better than time series only on the stays with an image at
/// <c>fraction_not_better</c> ≤ <see cref="Alpha"/>. A check that the oracle itself fails on the same
/// stays is marked out of reach at this test size, with the size from which the oracle would pass
/// (confidence intervals narrow as 1/√n).
/// </summary>
internal sealed class DemoVerdict
{
    /// <summary>How far below its oracle a single-modality model may land.</summary>
    public const double OracleMargin = 0.05;
    /// <summary>The largest <c>fraction_not_better</c> at which fusion counts as better.</summary>
    public const double Alpha = 0.05;
    /// <summary>Bootstrap resamples of each comparison.</summary>
    public const int Resamples = 1000;

    /// <summary>The checks, in order.</summary>
    public required IReadOnlyList<VerdictCheck> Checks { get; init; }
    /// <summary>Differences with their oracle ceilings, one line each.</summary>
    public required IReadOnlyList<string> Comparisons { get; init; }
    /// <summary>Everything, for provenance.json.</summary>
    public required JsonObject Json { get; init; }

    /// <summary>Whether every check passed.</summary>
    public bool Passed => Checks.All(c => c.Passed == true);

    /// <summary>The lines the demo prints.</summary>
    public IEnumerable<string> Lines()
    {
        yield return "Verdict on the test split (macro AUROC; paired bootstrap, " + Resamples.ToString(CultureInfo.InvariantCulture) + " resamples):";
        foreach (var line in Comparisons) yield return "  " + line;
        foreach (var check in Checks)
        {
            yield return $"  [{(check.Passed is null ? "n/a" : check.Passed.Value ? "yes" : "NO")}] {check.Statement}: {check.Evidence}";
            if (check.OutOfReach is not null) yield return "        out of reach at this test size: " + check.OutOfReach;
        }
        yield return $"The demo {(Passed ? "shows" : "does NOT show")} the paper's claim on this cohort.";
    }

    /// <summary>The series-only, image-only and fusion runs of a demo.</summary>
    /// <param name="Series">Time series only.</param>
    /// <param name="Image">Image only (predicts the test stays with an image).</param>
    /// <param name="Fusion">The fusion model under test.</param>
    /// <param name="All">Every model run, for the above-chance check.</param>
    public sealed record Runs(DemoPlan.ModelRun Series, DemoPlan.ModelRun Image, DemoPlan.ModelRun Fusion, IReadOnlyList<DemoPlan.ModelRun> All);

    /// <summary>The test predictions the verdict compares.</summary>
    /// <param name="Fusion">The fusion model, every test stay.</param>
    /// <param name="Series">Time series only, every test stay.</param>
    /// <param name="Image">Image only, the test stays with an image.</param>
    /// <param name="Oracle">The oracle on the modalities each stay has.</param>
    /// <param name="OracleSeries">The oracle on the series alone.</param>
    /// <param name="OracleImage">The oracle on the image alone.</param>
    public sealed record Predictions(PredictionSet Fusion, PredictionSet Series, PredictionSet Image, PredictionSet Oracle, PredictionSet OracleSeries, PredictionSet OracleImage);

    /// <summary>Computes the verdict from the runs' test predictions and metrics and the synthetic truth.</summary>
    public static DemoVerdict Compute(string root, ClinicalTask task, Runs runs, int seed)
    {
        var metrics = runs.All.Select(run =>
        {
            var path = Path.Combine(run.Folder, RunEvaluation.MetricsFileName(Split.Test));
            return new ScoredRun(run.Title, run.Ceiling, File.Exists(path) ? MetricsJson.Read(path) : null);
        }).ToList();
        var fusion = Read(runs.Fusion);
        var series = Read(runs.Series);
        var image = Read(runs.Image);
        var layout = new DemoLayout(root);
        string truth = layout.Synth, cohort = layout.Cohort;
        var predictions = fusion is null || series is null || image is null || !SyntheticOracle.Exists(truth) ? null
            : new Predictions(fusion, series, image,
                SyntheticOracle.Read(truth, cohort, task, OracleView.Available),
                SyntheticOracle.Read(truth, cohort, task, OracleView.Series),
                SyntheticOracle.Read(truth, cohort, task, OracleView.Image));
        return Compute(metrics, predictions, runs.Fusion.Title, seed);
    }

    /// <summary>
    /// The verdict from each model's test metrics and the test predictions (null: missing), with
    /// bootstrap resamples drawn from <paramref name="seed"/>.
    /// </summary>
    public static DemoVerdict Compute(IReadOnlyList<ScoredRun> metrics, Predictions? predictions, string fusionTitle, int seed)
    {
        var checks = new List<VerdictCheck>();
        var comparisons = new List<string>();
        var json = new JsonObject { ["resamples"] = Resamples, ["alpha"] = Alpha, ["oracle_margin"] = OracleMargin };

        var belowChance = new List<ScoredRun>();
        var missing = metrics.Where(r => r.Metrics is null).Select(r => r.Title).ToList();
        foreach (var run in metrics)
            if (run.Metrics is not null && !(run.Metrics.Summary.Auroc.Macro.CiLower > 0.5)) belowChance.Add(run);
        string AboveChanceEvidence() => missing.Count > 0 ? "not evaluated: " + string.Join(", ", missing)
            : belowChance.Count == 0 ? $"all {metrics.Count} models"
            : "not: " + string.Join("; ", belowChance.Select(r => $"{r.Title} {Interval(r.Metrics!.Summary.Auroc.Macro)}"));

        const string AboveChance = "every model's AUROC 95 % CI lies above 0.5";
        if (predictions is null)
        {
            checks.Add(new(AboveChance, missing.Count > 0 ? null : belowChance.Count == 0, AboveChanceEvidence()));
            checks.Add(new("the single-modality models reach their oracles, and fusion beats time series only", null, "test predictions or the synthetic truth are missing"));
            json["passed"] = false;
            return new DemoVerdict { Checks = checks, Comparisons = comparisons, Json = json };
        }
        var (fusion, series, image, oracle, oracleSeries, oracleImage) = predictions;
        var paired = image.SampleIds.ToHashSet(StringComparer.Ordinal);
        var oracleImagePaired = oracleImage.Restrict(paired);

        // The oracle's own interval on the stays each failing model is scored on: if even it does not clear 0.5, no model can.
        var ceilings = belowChance.Select(r => r.Ceiling).Distinct()
            .Select(view => view switch { OracleView.Series => oracleSeries, OracleView.Image => oracleImagePaired, _ => oracle })
            .Select(set => (Set: set, Auroc: Evaluator.Evaluate(set, Resamples, seed).Summary.Auroc.Macro))
            .Where(c => !(c.Auroc.CiLower > 0.5)).ToList();
        checks.Add(new(AboveChance, missing.Count > 0 ? null : belowChance.Count == 0, AboveChanceEvidence(),
            ceilings.Count == 0 ? null : string.Join("; ", ceilings.Select(c =>
                $"{c.Set.Metadata.Model} {Interval(c.Auroc)} on {c.Set.Count} stays" + StaysNeeded(c.Set.Count, c.Auroc.Value - c.Auroc.CiLower, c.Auroc.Value - 0.5)))));

        MetricDifference Difference(PredictionSet a, PredictionSet b) =>
            PairedComparison.Compare(a, b, Resamples, seed).Summary.Single(d => d.Metric == "auroc_macro");
        JsonObject Compare(string name, string title, PredictionSet a, PredictionSet b, PredictionSet oracleA, PredictionSet oracleB, int stays)
        {
            var model = Difference(a, b);
            var ceiling = Difference(oracleA, oracleB);
            comparisons.Add($"{title} on {stays} stays: {Signed(model.Difference.Value)} [{Signed(model.Difference.CiLower)}, {Signed(model.Difference.CiUpper)}], " +
                            $"fraction_not_better {F(model.FractionNotBetter)}; oracle ceiling {Signed(ceiling.Difference.Value)} [{Signed(ceiling.Difference.CiLower)}, {Signed(ceiling.Difference.CiUpper)}]");
            var entry = new JsonObject
            {
                ["stays"] = stays,
                ["difference"] = Number(model.Difference.Value), ["ci_lower"] = Number(model.Difference.CiLower), ["ci_upper"] = Number(model.Difference.CiUpper),
                ["fraction_not_better"] = Number(model.FractionNotBetter),
                ["oracle_difference"] = Number(ceiling.Difference.Value), ["oracle_ci_lower"] = Number(ceiling.Difference.CiLower), ["oracle_ci_upper"] = Number(ceiling.Difference.CiUpper),
                ["oracle_fraction_not_better"] = Number(ceiling.FractionNotBetter),
            };
            json[name] = entry;
            return entry;
        }

        Compare("fusion_minus_series_all", "fusion - time series only, all test stays", fusion, series, oracle, oracleSeries, fusion.Count);
        var fusionPaired = fusion.Restrict(paired);
        var oraclePaired = oracle.Restrict(paired);
        var pairedSeries = Compare("fusion_minus_series_paired", "fusion - time series only, stays with an image", fusionPaired, series.Restrict(paired), oraclePaired, oracleSeries.Restrict(paired), paired.Count);
        Compare("fusion_minus_image_paired", "fusion - image only, stays with an image", fusionPaired, image, oraclePaired, oracleImagePaired, paired.Count);

        double fusionAuroc = Auroc(fusion), oracleAuroc = Auroc(oracle);
        comparisons.Insert(0, $"{fusionTitle} {F(fusionAuroc)} on all {fusion.Count} test stays; oracle {F(oracleAuroc)} (gap {F(oracleAuroc - fusionAuroc)})");
        json["fusion_auroc"] = Number(fusionAuroc);
        json["oracle_auroc"] = Number(oracleAuroc);
        double seriesAuroc = Auroc(series), seriesCeiling = Auroc(oracleSeries);
        double imageAuroc = Auroc(image), imageCeiling = Auroc(oracleImagePaired);
        // The gap's own paired interval says whether a miss is more than test-set noise.
        var seriesGap = Difference(oracleSeries, series).Difference;
        var imageGap = Difference(oracleImagePaired, image).Difference;
        checks.Add(new($"time series only within {OracleMargin:0.00} of the series-only oracle (all test stays)",
            seriesCeiling - seriesAuroc <= OracleMargin, $"{F(seriesAuroc)} vs oracle {F(seriesCeiling)} (gap {F(seriesCeiling - seriesAuroc)} [{Signed(seriesGap.CiLower)}, {Signed(seriesGap.CiUpper)}])"));
        checks.Add(new($"image only within {OracleMargin:0.00} of the image-only oracle (stays with an image)",
            imageCeiling - imageAuroc <= OracleMargin, $"{F(imageAuroc)} vs oracle {F(imageCeiling)} (gap {F(imageCeiling - imageAuroc)} [{Signed(imageGap.CiLower)}, {Signed(imageGap.CiUpper)}])"));
        double? notBetter = pairedSeries["fraction_not_better"]?.GetValue<double>();
        double? oracleNotBetter = pairedSeries["oracle_fraction_not_better"]?.GetValue<double>();
        string? fusionReach = null;
        if (!(oracleNotBetter <= Alpha))
        {
            // One-sided test at Alpha: the gain must exceed z·SE, with SE from the oracle's 95 % interval.
            double? gain = pairedSeries["oracle_difference"]?.GetValue<double>();
            double? se = (pairedSeries["oracle_ci_upper"]?.GetValue<double>() - pairedSeries["oracle_ci_lower"]?.GetValue<double>()) / (2 * Z95);
            fusionReach = $"the oracle's own fraction_not_better is {F(oracleNotBetter)} on {paired.Count} stays" + StaysNeeded(paired.Count, OneSidedZ * se, gain);
        }
        checks.Add(new($"fusion beats time series only on the stays with an image (fraction_not_better <= {Alpha:0.00})",
            notBetter is not null && notBetter <= Alpha, $"fraction_not_better {F(notBetter)}", fusionReach));

        json["series_only_auroc"] = Number(seriesAuroc);
        json["series_oracle_auroc"] = Number(seriesCeiling);
        json["image_only_auroc_paired"] = Number(imageAuroc);
        json["image_oracle_auroc_paired"] = Number(imageCeiling);
        json["checks"] = new JsonArray([.. checks.Select(c => new JsonObject { ["statement"] = c.Statement, ["passed"] = c.Passed, ["evidence"] = c.Evidence, ["out_of_reach"] = c.OutOfReach })]);
        json["passed"] = checks.All(c => c.Passed == true);
        return new DemoVerdict { Checks = checks, Comparisons = comparisons, Json = json };
    }

    /// <summary>A number for the verdict's JSON; an undefined one (NaN, as AUROC on a test split without positives) is null, as in metrics.json.</summary>
    static JsonNode? Number(double? value) => value is double v && double.IsFinite(v) ? JsonValue.Create(v) : null;

    static PredictionSet? Read(DemoPlan.ModelRun run)
    {
        var path = Path.Combine(run.Folder, RunEvaluation.PredictionsFileName(Split.Test));
        return File.Exists(path) ? PredictionsFile.Read(path) : null;
    }

    const double Z95 = 1.959964, OneSidedZ = 1.644854;

    /// <summary>
    /// The test size from which an effect of <paramref name="effect"/> clears a bound that lies
    /// <paramref name="halfWidth"/> from it at <paramref name="stays"/> stays, the half-width shrinking as 1/√n.
    /// </summary>
    public static string StaysNeeded(int stays, double? halfWidth, double? effect)
    {
        if (effect is not > 0 || halfWidth is not > 0) return "; its effect on these stays is not positive, so they give no size to reach";
        double needed = stays * Math.Pow(halfWidth.Value / effect.Value, 2);
        return FormattableString.Invariant($"; it would clear it from about {Math.Ceiling(needed):0} stays ({needed / stays:0.0}x this test split)");
    }

    static string Interval(Estimate e) => $"{F(e.Value)} [{F(e.CiLower)}, {F(e.CiUpper)}]";

    static double Auroc(PredictionSet set) => Evaluator.Evaluate(set, 0, 0).Summary.Auroc.Macro.Value ?? double.NaN;

    static string F(double? v) => v is null || double.IsNaN(v.Value) ? "n/a" : v.Value.ToString("0.000", CultureInfo.InvariantCulture);

    static string Signed(double? v) => v is null || double.IsNaN(v.Value) ? "n/a" : v.Value.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture);
}
