using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;

// End-to-end extraction benchmark: replicates a MIMIC-IV folder (default: the demo fixture) N times
// with shifted ids into a scratch folder, runs the extraction and reports wall time per stage,
// rows/s and peak RSS. Usage: dotnet run -c Release -- [--scale N] [--source DIR] [--threads T] [--compat medfuse]
var argsList = args.ToList();
string Arg(string name, string fallback) => argsList.IndexOf(name) is var i and >= 0 && i + 1 < argsList.Count ? argsList[i + 1] : fallback;
var scale = int.Parse(Arg("--scale", "20"), CultureInfo.InvariantCulture);
var threads = int.Parse(Arg("--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var source = Arg("--source", Path.Combine(AppContext.BaseDirectory, "../../../../../../tests/fixtures/mimic-iv-demo"));
var compat = Arg("--compat", "none") == "medfuse" ? CompatMode.MedFuse : CompatMode.None;
var scratch = Directory.CreateTempSubdirectory("clinfuse-bench-extract-").FullName;
try
{
    var input = Path.Combine(scratch, "mimic");
    var clock = Stopwatch.StartNew();
    var rows = Replicate(source, input, scale);
    Console.WriteLine($"input: {source} x{scale} -> {rows:N0} chart+lab rows, written in {clock.Elapsed.TotalSeconds:F1} s");
    var progress = new TimingProgress();
    clock.Restart();
    var result = await Extractor.RunAsync(new ExtractionOptions { MimicIv = input, Out = Path.Combine(scratch, "cohort"), Compat = compat }, new ComputeSettings(threads), progress);
    var total = clock.Elapsed.TotalSeconds;
    using var self = Process.GetCurrentProcess();
    Console.WriteLine($"extract: {total:F1} s wall, {rows / total:N0} rows/s overall, peak RSS {self.PeakWorkingSet64 / (1 << 20):N0} MiB, threads {threads}");
    foreach (var (stage, seconds) in result.Manifest.TimingsSeconds) Console.WriteLine($"  stage {stage,-10} {seconds,8:F2} s");
    foreach (var (step, seconds, amount) in progress.Steps) Console.WriteLine($"  step {step,-28} {seconds,8:F2} s {amount,14:N0} {(seconds > 0 ? amount / seconds : 0),12:N0}/s");
    Console.WriteLine($"episodes {result.Manifest.Counts["episodes"]:N0}, rows {result.Manifest.Counts["episode_rows"]:N0}; ihm train {result.Manifest.Counts["ihm.train.samples"]:N0}");
}
finally
{
    Directory.Delete(scratch, recursive: true);
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
