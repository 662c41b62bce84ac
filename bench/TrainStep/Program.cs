// Attention-fusion train step and inference: TorchSharp (this process's children) vs PyTorch
// (/usr/bin/python3 bench_torch.py), each scenario in its own process so that peak RSS is its own.
// Each image-encoder lever runs alone: the defaults (layout auto: channels-first in float32 training,
// channels-last in inference), channels-last throughout, channels-first throughout, and bfloat16
// convolutions (channels-last; only where the CPU has AVX512-BF16 or AMX), and the allocator: the
// defaults with tcmalloc preloaded ("full-tcmalloc", how ./clinfuse runs them where Debian's
// libtcmalloc-minimal4 is installed). PyTorch runs its default (channels-first, glibc malloc), its
// channels_last and tcmalloc preloaded. Rounds alternate the engines so that load from
// other processes spreads over both; the summary gives each scenario's median and its ratio to
// PyTorch's default in the same run, with CPU time beside wall time (CPU time is what a loaded
// machine distorts least).
//
//   dotnet run -c Release --project bench/TrainStep [-- --threads 2 --steps 5 --batch 16 --size 224 --rounds 1]
using System.Diagnostics;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Models;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using static TorchSharp.torch;

var options = Options.Parse(args);
if (options.Scenario is { } scenario)
{
    Console.WriteLine(scenario == "conv-rate" ? ConvRate(options) : RunScenario(scenario, options));
    return;
}

string self = Environment.ProcessPath!;
string python = Path.Combine(AppContext.BaseDirectory, "bench_torch.py");
var bf16 = TorchRuntime.BFloat16Features;
// The allocator lever: the same "full" scenario with tcmalloc preloaded (what ./clinfuse does), for both engines.
string? tcmalloc = new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu" }.Select(d => Path.Combine(d, "libtcmalloc_minimal.so.4")).FirstOrDefault(File.Exists);
var runs = new List<(string Engine, string Name, string File, string Arguments, string? Preload)>();
foreach (var name in new[] { "full", "full-nhwc", "full-nchw" }.Concat(bf16.Count > 0 ? ["full-bf16"] : Array.Empty<string>()).Concat(["partial-masked", "partial-zero"]))
    runs.Add(("TorchSharp", name, self, $"--scenario {name} {options.Forward()}", null));
foreach (var name in new[] { "full", "full-channels-last", "partial-zero" })
    runs.Add(("PyTorch", name, "/usr/bin/python3", $"{python} --scenario {name} {options.Forward()}", null));
if (tcmalloc is not null)
{
    runs.Insert(1, ("TorchSharp", "full-tcmalloc", self, $"--scenario full {options.Forward()}", tcmalloc));
    runs.Add(("PyTorch", "full-tcmalloc", "/usr/bin/python3", $"{python} --scenario full {options.Forward()}", tcmalloc));
}

Console.WriteLine($"attention fusion, batch {options.Batch}, {options.Size} px, {options.Threads} threads, {options.Steps} timed steps after 1 warm-up, {options.Rounds} round(s); bfloat16 CPU features: {(bf16.Count == 0 ? "none (full-bf16 skipped)" : string.Join(' ', bf16))}; tcmalloc: {tcmalloc ?? "not installed (full-tcmalloc skipped)"}");
Console.WriteLine($"oneDNN caches: {TorchRuntime.Probe(new ComputeSettings(options.Threads)).Caches?.Description ?? "not inspected"}");
Console.WriteLine($"load before: {Load()}");
var results = runs.ToDictionary(r => (r.Engine, r.Name), _ => new List<double[]>());
for (int round = 0; round < options.Rounds; round++)
{
    // Odd rounds run PyTorch first, so neither engine always meets the same neighbours' load.
    var order = round % 2 == 0 ? runs : runs.OrderBy(r => r.Engine == "PyTorch" ? 0 : 1).ToList();
    foreach (var run in order)
    {
        var line = Child(run.File, run.Arguments, run.Preload);
        if (line is null) Console.WriteLine($"{run.Engine} {run.Name}: failed (see the error above)");
        else results[(run.Engine, run.Name)].Add(line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
    }
}
Console.WriteLine($"load after: {Load()}");
Console.WriteLine("medians over the rounds; ratios are to PyTorch's default (full, or partial-zero for the partial scenarios) of the same run: below 1 is faster / smaller");
Console.WriteLine($"{"engine",-11} {"scenario",-19} {"train ms/step",14} {"cpu ms",8} {"ratio",6} {"cpu ratio",9} {"infer ms/batch",15} {"cpu ms",8} {"ratio",6} {"cpu ratio",9} {"peak RSS MiB",13} {"ratio",6}");
foreach (var run in runs)
{
    var m = Median(results[(run.Engine, run.Name)]);
    if (m is null) continue;
    var peer = Median(results[("PyTorch", run.Name.StartsWith("partial", StringComparison.Ordinal) ? "partial-zero" : "full")]);
    string Ratio(int i) => peer is null ? "-" : (m[i] / peer[i]).ToString("F2", CultureInfo.InvariantCulture);
    Console.WriteLine($"{run.Engine,-11} {run.Name,-19} {m[0],14:F0} {m[3],8:F0} {Ratio(0),6} {Ratio(3),9} {m[1],15:F0} {m[4],8:F0} {Ratio(1),6} {Ratio(4),9} {m[2],13:F0} {Ratio(2),6}");
}

// The arithmetic floor of a float32 train step: the ResNet-34's convolutions at the rate libtorch's own
// convolution kernel reaches on this machine. 3.664 G multiply-adds per 224-px image forward (counted
// from torchvision's resnet34 with forward hooks); forward = 2 FLOP per multiply-add, backward about
// twice the forward (input and weight gradients).
var tsFull = Median(results[("TorchSharp", "full")]);
var pyFull = Median(results[("PyTorch", "full")]);
var rate = Child(self, $"--scenario conv-rate {options.Forward()}", null);
if (tsFull is not null && pyFull is not null && rate is not null)
{
    double forward = 2 * 3.664e9 * options.Batch * Math.Pow(options.Size / 224.0, 2), flop = 3 * forward;
    var kernel = rate.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"float32 floor, train: {flop / 1e9:F0} GFLOP of ResNet-34 convolutions per step; libtorch's 3x3 convolution (64 channels, {options.Size / 4} px, forward + backward, channels-first) runs at {kernel[0]:F0} GFLOP/s here, so a step takes at least {flop / kernel[0] / 1e6:F0} ms at that rate; TorchSharp's full step: {tsFull[0]:F0} ms ({flop / tsFull[0] / 1e6:F0} GFLOP/s); the 0.65x goal: {0.65 * pyFull[0]:F0} ms."));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"float32 floor, inference: {forward / 1e9:F0} GFLOP per batch; the same convolution forward only, channels-last, runs at {kernel[1]:F0} GFLOP/s, so at least {forward / kernel[1] / 1e6:F0} ms; TorchSharp's full inference: {tsFull[1]:F0} ms ({forward / tsFull[1] / 1e6:F0} GFLOP/s); the 0.5x goal: {0.5 * pyFull[1]:F0} ms."));
}

// GFLOP/s of one layer1-shaped 3x3 convolution (batch, 64 -> 64 channels, size/4 px): "train,infer",
// forward and backward on channels-first maps (as float32 training runs), and forward alone without
// gradients on channels-last maps (as inference runs).
static string ConvRate(Options o)
{
    TorchRuntime.Initialize(new ComputeSettings(o.Threads));
    int side = o.Size / 4;
    using var conv = TorchSharp.torch.nn.Conv2d(64, 64, 3, padding: 1, bias: false);
    using var x = randn(o.Batch, 64, side, side).requires_grad_();
    using var xLast = randn(o.Batch, side, side, 64).permute(0, 3, 1, 2); // NHWC strides, as ImageMaps lays out inference maps
    double Rate(Action step, int passes)
    {
        step();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++) step();
        return passes * 2.0 * o.Batch * 64 * side * side * 64 * 9 * o.Steps / watch.Elapsed.TotalSeconds / 1e9;
    }
    double train = Rate(() => { using var scope = NewDisposeScope(); conv.call(x).sum().backward(); }, 3);
    double infer = Rate(() => { using var scope = NewDisposeScope(); using var _ = no_grad(); conv.call(xLast); }, 1);
    return string.Create(CultureInfo.InvariantCulture, $"{train:F1},{infer:F1}");
}

static double[]? Median(List<double[]> rows) =>
    rows.Count == 0 ? null : Enumerable.Range(0, rows[0].Length).Select(i => rows.Select(r => r[i]).Order().ElementAt(rows.Count / 2)).ToArray();

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

// The child's last output line, or null when it failed (e.g. /usr/bin/python3 without python3-torch).
// PyTorch gets the passive OpenMP waits that TorchRuntime gives libtorch here, so that neither engine's
// CPU time counts threads spinning at barriers.
static string? Child(string file, string arguments, string? preload)
{
    var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true };
    if (preload is not null) start.Environment["LD_PRELOAD"] = preload;
    if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
    using var process = Process.Start(start)!;
    string output = process.StandardOutput.ReadToEnd().Trim();
    process.WaitForExit();
    return process.ExitCode == 0 ? output.Split('\n')[^1] : null;
}

// "train_ms,infer_ms,peak_rss_mib,train_cpu_ms,infer_cpu_ms" for one scenario: full = every sample has
// an image (-nhwc / -nchw: channels-last / channels-first maps throughout, -bf16: bfloat16 convolutions);
// partial = 75 % without (masked:
// the CNN sees only the present quarter; zero: the reference's zero images).
static string RunScenario(string scenario, Options o)
{
    var compute = new ComputeSettings(o.Threads);
    if (scenario == "full-nhwc") compute = compute with { ImageLayout = ImageLayout.ChannelsLast };
    if (scenario == "full-nchw") compute = compute with { ImageLayout = ImageLayout.ChannelsFirst };
    if (scenario == "full-bf16") compute = compute with { ImagePrecision = ImagePrecision.BFloat16 };
    TorchRuntime.Initialize(compute);
    manual_seed(1);
    var mode = scenario == "partial-masked" ? MissingImageMode.Masked : MissingImageMode.ZeroImage;
    using var network = new FusionNetwork(ModelConfig.Reference(ModelKind.Attention, 25) with { MissingImage = mode });
    using var loss = new FusionLoss(LossKind.Uncertainty, 25);
    using var optimizer = OptimizerFactory.Adam(network, loss, AdamSettings.Reference(7e-5));
    var hasImage = arange(o.Batch).remainder(scenario.StartsWith("full", StringComparison.Ordinal) ? 1 : 4).eq(0);
    int images = (int)hasImage.sum().item<long>();
    var lengths = randint(1, 49, [o.Batch], dtype: ScalarType.Int64);
    var batch = new FusionBatch(randn(o.Batch, 48, 76), lengths, randn(images, 3, o.Size, o.Size), hasImage, rand(o.Batch, 25).round());

    var cpu = new List<double>();
    double Time(Action step)
    {
        step();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++) step();
        cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / o.Steps);
        return watch.Elapsed.TotalMilliseconds / o.Steps;
    }

    network.train();
    double train = Time(() =>
    {
        using var scope = NewDisposeScope();
        var output = network.call(batch);
        var total = loss.Compute(output.Probabilities, batch.Labels!).Total;
        optimizer.zero_grad();
        total.backward();
        optimizer.step();
    });
    network.eval();
    double infer = Time(() =>
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        network.call(batch);
    });
    long peakKiB = File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:")).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).Single();
    return string.Create(CultureInfo.InvariantCulture, $"{train:F1},{infer:F1},{peakKiB / 1024.0:F0},{cpu[0]:F1},{cpu[1]:F1}");
}

sealed record Options(int Threads, int Steps, int Batch, int Size, int Rounds, string? Scenario)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        return new(int.Parse(Value("--threads") ?? "2"), int.Parse(Value("--steps") ?? "5"), int.Parse(Value("--batch") ?? "16"), int.Parse(Value("--size") ?? "224"), int.Parse(Value("--rounds") ?? "1"), Value("--scenario"));
    }

    public string Forward() => $"--threads {Threads} --steps {Steps} --batch {Batch} --size {Size}";
}
