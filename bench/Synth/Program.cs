using System.Diagnostics;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Synthetic;

// End-to-end benchmark of `clinfuse synth`: wall time, CPU time, peak RSS, output sizes and the
// cohort's statistics for a 500-patient cohort with small images and a large EHR-only cohort.
// Usage: bench-synth [large-patients=50000] [work-folder=/tmp/clinfuse-bench-synth] [threads=all]
int large = args.Length > 0 ? int.Parse(args[0]) : 50_000;
string work = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "clinfuse-bench-synth");
var compute = args.Length > 2 ? new ComputeSettings(int.Parse(args[2])) : ComputeSettings.Default;
Console.WriteLine($"threads {compute.Threads}, cores {Environment.ProcessorCount}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");

Run(new SynthOptions(500, 1, SynthImages.Small), "500 patients, small images");
Run(new SynthOptions(large, 1, SynthImages.None), $"{large:N0} patients, EHR only");

void Run(SynthOptions options, string name)
{
    var folder = Path.Combine(work, $"synth-{options.Patients}-{options.Images}".ToLowerInvariant());
    var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    var result = SyntheticCohortGenerator.Generate(options, folder, force: true, compute, StageProgress.None);
    clock.Stop();
    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuBefore;
    var o = result.Oracle;
    Console.WriteLine($"## {name}");
    Console.WriteLine($"wall {clock.Elapsed.TotalSeconds:F1} s, cpu {cpu.TotalSeconds:F1} s, peak RSS so far {process.PeakWorkingSet64 / 1048576.0:F0} MiB");
    foreach (var (key, value) in result.Manifest.Counts) Console.WriteLine($"  rows {key}: {value:N0}");
    foreach (var dir in new[] { "mimic-iv", "mimic-cxr-jpg", "truth" })
    {
        var path = Path.Combine(folder, dir);
        long bytes = Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
        Console.WriteLine($"  size {dir}: {bytes / 1048576.0:F1} MiB");
    }
    Console.WriteLine($"  chartevents rows/s (wall): {result.Manifest.Counts["chartevents"] / clock.Elapsed.TotalSeconds:N0}");
    Console.WriteLine($"  stays {o.IcuStays:N0}, under 48 h {o.FractionStaysUnder48h:P1}");
    foreach (var t in new[] { o.InHospitalMortality, o.Phenotyping })
        Console.WriteLine($"  {t.Task}: stays {t.Stays:N0}, paired {t.PairedFraction:P1}, prevalence(first label) {t.Labels[0].Prevalence:P1}, " +
            $"macro AUROC oracle {t.MacroAurocOracle:F3} fused {t.MacroAurocFused:F3} series {t.MacroAurocSeriesOnly:F3} images {t.MacroAurocImageOnly:F3}");
    Directory.Delete(folder, recursive: true);
}
