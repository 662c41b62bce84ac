using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Extraction;
using ClinFuse.Evaluation;

namespace ClinFuse.Cli.Demo;

/// <summary>
/// Runs a <see cref="DemoPlan"/>: prints the plan, runs each step in this process (skipping those
/// that <see cref="DemoStepLog"/> shows complete from an earlier run of the same plan), and before the report writes the synthetic oracle
/// and a verdict: does the fusion model beat both single-modality models, and how far is it from
/// the oracle AUROC.
/// </summary>
internal sealed class DemoRunner(TextWriter output, TextWriter error)
{
    /// <summary>Runs the plan; returns the process exit code.</summary>
    public async Task<int> RunAsync(string root, DemoSize size, ClinicalTask task, int seed, int? threads, string? device, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        var (steps, runs) = DemoPlan.Build(root, size, seed, task);
        output.WriteLine($"ClinFuse demo in {root}: {size.Patients} synthetic patients, {(task == ClinicalTask.InHospitalMortality ? "48 h in-hospital mortality" : "phenotyping (25 labels)")}.");
        output.WriteLine("Plan (each step is an ordinary clinfuse command; completed steps are skipped on a rerun):");
        for (int i = 0; i < steps.Count; i++) output.WriteLine($"  {i + 1,2}. {steps[i].Title}\n      {steps[i].CommandLine}");
        output.WriteLine();

        var total = Stopwatch.StartNew();
        var timings = new List<(string, double)>();
        var log = DemoStepLog.Open(root);
        for (int i = 0; i < steps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = steps[i];
            if (log.IsDone(i, step))
            {
                output.WriteLine($"[{i + 1}/{steps.Count}] {step.Title}: already done, skipped.");
                continue;
            }
            if (step.Arguments[0] == "report") WriteReportInputs(root, task, runs, seed);
            output.WriteLine($"[{i + 1}/{steps.Count}] {step.Title}");
            var clock = Stopwatch.StartNew();
            var arguments = step.Arguments.ToList();
            if (threads is not null) arguments.AddRange(["--threads", threads.Value.ToString(CultureInfo.InvariantCulture)]);
            if (device is not null) arguments.AddRange(["--device", device]);
            int code = await CliApp.RunAsync([.. arguments], output, error);
            timings.Add((step.Title, clock.Elapsed.TotalSeconds));
            if (code != ExitCodes.Ok)
            {
                error.WriteLine($"error: demo step {i + 1} ({step.Title}) failed with exit code {code}.");
                error.WriteLine($"  Fix the cause above and rerun the same demo command (same --out, size, task and seed): completed steps are skipped.");
                return code;
            }
            log.Completed(i, step);
            output.WriteLine($"      done in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        output.WriteLine();
        foreach (var line in Verdict(root, task, runs, seed).Lines()) output.WriteLine(line);
        output.WriteLine($"Demo finished in {total.Elapsed.TotalMinutes:0.0} min. Report: {new DemoLayout(root).ReportHtml}");
        return ExitCodes.Ok;
    }

    /// <summary>The oracle predictions and the provenance file (with the verdict) the report step reads.</summary>
    static void WriteReportInputs(string root, ClinicalTask task, IReadOnlyList<DemoPlan.ModelRun> runs, int seed)
    {
        var layout = new DemoLayout(root);
        SyntheticOracle.Write(layout.Synth, layout.Cohort, task, layout.Oracle(task));
        var verdict = Verdict(root, task, runs, seed);
        var provenance = new JsonObject
        {
            ["cohort"] = "synthetic (clinfuse synth), MIMIC-IV v2.2 and MIMIC-CXR-JPG 2.0.0 layouts",
            ["clinfuse_version"] = ProductInfo.Version,
            ["demo_verdict"] = verdict.Json,
            ["cohort_flow"] = CohortFlow(DemoLayout.Manifest(layout.Cohort)),
        };
        AtomicFile.WriteAllText(layout.Provenance, provenance.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    static JsonArray CohortFlow(string manifestPath)
    {
        var flow = new JsonArray();
        if (JsonNode.Parse(File.ReadAllText(manifestPath))?["counts"] is JsonObject counts)
            foreach (var (key, value) in counts) flow.Add(new JsonObject { ["count"] = key, ["value"] = value?.DeepClone() });
        return flow;
    }

    static DemoVerdict Verdict(string root, ClinicalTask task, IReadOnlyList<DemoPlan.ModelRun> runs, int seed) =>
        DemoVerdict.Compute(root, task, new DemoVerdict.Runs(
            runs.First(r => r.Title == DemoPlan.SeriesOnlyTitle), runs.First(r => r.Title == DemoPlan.ImageOnlyTitle), runs[^1], runs), seed);
}
