using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Mimic;
using ClinFuse.Data.Synthetic;

// End-to-end extraction benchmark. The input is the MIMIC-IV demo (default: the test fixture)
// replicated N times with shifted ids, or a synthetic cohort (`--synth PATIENTS`, with `--filler`
// chart rows per ICU hour of unmapped items; its mapped share of chartevents is counted and
// printed), or an existing folder (`--mimic-iv DIR`). Reports wall time per stage, rows/s and the
// extraction's own peak RSS. `--keep` leaves the scratch folder (input and output) in place.
// Usage: dotnet run -c Release -- [--scale N] [--source DIR] [--synth PATIENTS [--filler RATE] [--seed S]] [--mimic-iv DIR] [--threads T] [--compat medfuse] [--keep]
var argsList = args.ToList();
string Arg(string name, string fallback) => argsList.IndexOf(name) is var i and >= 0 && i + 1 < argsList.Count ? argsList[i + 1] : fallback;
int IntArg(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var scale = IntArg("--scale", 20);
var threads = IntArg("--threads", Environment.ProcessorCount);
var source = Arg("--source", Path.Combine(AppContext.BaseDirectory, "../../../../../../tests/fixtures/mimic-iv-demo"));
var synthPatients = IntArg("--synth", 0);
var existing = Arg("--mimic-iv", "");
var compat = Arg("--compat", "none") == "medfuse" ? CompatMode.MedFuse : CompatMode.None;
var keep = argsList.Contains("--keep");
var scratch = Directory.CreateTempSubdirectory("clinfuse-bench-extract-").FullName;
try
{
    var input = Path.Combine(scratch, "mimic");
    var clock = Stopwatch.StartNew();
    long rows;
    if (existing.Length > 0)
    {
        input = existing;
        rows = -1;
        Console.WriteLine($"input: {existing}");
    }
    else if (synthPatients > 0)
    {
        var synth = new SynthOptions(synthPatients, IntArg("--seed", 42), SynthImages.None, FillerChartRowsPerHour: IntArg("--filler", 50));
        var generated = SyntheticCohortGenerator.Generate(synth, Path.Combine(scratch, "synth"), force: false, new ComputeSettings(threads), StageProgress.None);
        input = Path.Combine(generated.Folder, "mimic-iv");
        rows = generated.Manifest.Counts["chartevents"] + generated.Manifest.Counts["labevents"];
        Console.WriteLine($"input: synthetic, {synthPatients:N0} patients, {synth.FillerChartRowsPerHour} unmapped chart rows per ICU hour, written in {clock.Elapsed.TotalSeconds:F1} s");
        var (chart, mapped) = MappedChartRows(Path.Combine(input, "icu", "chartevents.csv.gz"));
        Console.WriteLine($"chartevents: {chart:N0} rows, {mapped:N0} of mapped items ({100.0 * mapped / chart:F1} %); labevents {generated.Manifest.Counts["labevents"]:N0} rows");
    }
    else
    {
        rows = Replicate(source, input, scale);
        Console.WriteLine($"input: {source} x{scale} -> {rows:N0} chart+lab rows, written in {clock.Elapsed.TotalSeconds:F1} s");
    }
    var progress = new TimingProgress();
    PeakRss.Reset();
    clock.Restart();
    var result = await Extractor.RunAsync(new ExtractionOptions { MimicIv = input, Out = Path.Combine(scratch, "cohort"), Compat = compat }, new ComputeSettings(threads), progress);
    var total = clock.Elapsed.TotalSeconds;
    if (rows < 0) rows = result.Manifest.Counts["events.read"];
    Console.WriteLine($"extract: {total:F1} s wall, {rows / total:N0} rows/s overall, peak RSS {PeakRss.MiB():N0} MiB, threads {threads}");
    foreach (var (stage, seconds) in result.Manifest.TimingsSeconds) Console.WriteLine($"  stage {stage,-10} {seconds,8:F2} s");
    foreach (var (step, seconds, amount) in progress.Steps) Console.WriteLine($"  step {step,-28} {seconds,8:F2} s {amount,14:N0} {(seconds > 0 ? amount / seconds : 0),12:N0}/s");
    Console.WriteLine($"events mapped {result.Manifest.Counts["events.mapped"]:N0}, kept {result.Manifest.Counts["events.kept"]:N0}; episodes {result.Manifest.Counts["episodes"]:N0}, rows {result.Manifest.Counts["episode_rows"]:N0}; ihm train {result.Manifest.Counts["ihm.train.samples"]:N0}");
}
finally
{
    if (keep) Console.WriteLine($"kept: {scratch}");
    else Directory.Delete(scratch, recursive: true);
}

// Rows of chartevents, and those of the 17 variables' items.
static (long Rows, long Mapped) MappedChartRows(string path)
{
    long mapped = 0;
    var rows = CsvSource.ForEachRow(path, ["itemid"], [], (row, c) =>
    {
        if (int.TryParse(row[c[0]].Span, out var item) && ExtractionResources.Items.ContainsKey(item)) mapped++;
    });
    return (rows, mapped);
}

static long Replicate(string source, string target, int scale)
{
    long chartAndLab = 0;
    foreach (var file in Directory.EnumerateFiles(source, "*.csv.gz", SearchOption.AllDirectories))
    {
        var relative = Path.GetRelativePath(source, file);
        var dest = Path.Combine(target, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        if (relative.Contains("d_icd", StringComparison.Ordinal)) { File.Copy(file, dest); continue; }
        var lines = ReadLines(file);
        var header = lines[0].Split(',');
        // Shift every id column by k * 1e9 so copies are distinct subjects, admissions and stays.
        var idColumns = header.Select((h, i) => (h, i)).Where(x => x.h is "subject_id" or "hadm_id" or "stay_id").Select(x => x.i).ToArray();
        using var output = new StreamWriter(new GZipStream(File.Create(dest), CompressionLevel.Fastest), new UTF8Encoding(false), 1 << 20);
        output.Write(lines[0]);
        output.Write('\n');
        var events = relative.Contains("chartevents", StringComparison.Ordinal) || relative.Contains("labevents", StringComparison.Ordinal);
        for (int k = 0; k < scale; k++)
        {
            foreach (var line in lines.Skip(1))
            {
                if (k == 0 || line.Contains('"')) { output.Write(k == 0 ? line : ShiftQuoted(line, idColumns, k)); output.Write('\n'); }
                else
                {
                    var cells = line.Split(',');
                    foreach (var c in idColumns)
                        if (cells[c].Length > 0) cells[c] = (long.Parse(cells[c].Split('.')[0], CultureInfo.InvariantCulture) + k * 1_000_000_000L).ToString(CultureInfo.InvariantCulture);
                    output.Write(string.Join(',', cells));
                    output.Write('\n');
                }
                if (events) chartAndLab++;
            }
        }
    }
    return chartAndLab;
}

// Rows with quoted text keep their ids in the leading columns, which never hold quotes.
static string ShiftQuoted(string line, int[] idColumns, int k)
{
    var firstQuote = line.IndexOf('"');
    var head = line[..firstQuote].Split(',');
    foreach (var c in idColumns)
        if (c < head.Length - 1 && head[c].Length > 0) head[c] = (long.Parse(head[c].Split('.')[0], CultureInfo.InvariantCulture) + k * 1_000_000_000L).ToString(CultureInfo.InvariantCulture);
    return string.Join(',', head) + line[firstQuote..];
}

static List<string> ReadLines(string path)
{
    using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
    var lines = new List<string>();
    while (reader.ReadLine() is { } l) lines.Add(l);
    return lines;
}

/// <summary>Records each step's duration and amount.</summary>
sealed class TimingProgress : IStageProgress
{
    readonly Lock gate = new();
    public List<(string Step, double Seconds, long Amount)> Steps { get; } = [];

    public IProgressStep Step(string name, long? total = null, string unit = "items") => new Timed(this, name);

    public void Info(string message) => Console.WriteLine(message);

    sealed class Timed(TimingProgress owner, string name) : IProgressStep
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        long amount;
        public void Advance(long by = 1) => Interlocked.Add(ref amount, by);
        public void SetTotal(long total) { }
        public void Dispose()
        {
            lock (owner.gate) owner.Steps.Add((name, clock.Elapsed.TotalSeconds, amount));
        }
    }
}

/// <summary>The process's peak resident set (VmHWM), which Linux lets a process reset.</summary>
static class PeakRss
{
    public static void Reset()
    {
        // Hand back what preparing the input left on the heap, then start counting from here.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Console.WriteLine("(peak RSS not reset: it includes the input's preparation)"); }
    }

    public static long MiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 >> 20;
    }
}
