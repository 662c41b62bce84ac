// Attention-fusion train step and inference: TorchSharp (this process's children) vs PyTorch
// (/usr/bin/python3 bench_torch.py), each scenario in its own process so that peak RSS is its own.
//
//   dotnet run -c Release --project bench/TrainStep [-- --threads 2 --steps 5 --batch 16 --size 224]
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
    Console.WriteLine(RunScenario(scenario, options));
    return;
}

Console.WriteLine($"attention fusion, batch {options.Batch}, {options.Size} px, {options.Threads} threads, {options.Steps} timed steps after 1 warm-up");
Console.WriteLine($"{"engine",-11} {"scenario",-15} {"train ms/step",14} {"train samples/s",16} {"infer ms/batch",15} {"infer samples/s",16} {"peak RSS MiB",13}");
string self = Environment.ProcessPath!;
string python = Path.Combine(AppContext.BaseDirectory, "bench_torch.py");
foreach (var name in new[] { "full", "partial-masked", "partial-zero" })
    Report("TorchSharp", name, Child(self, $"--scenario {name} {options.Forward()}"));
foreach (var name in new[] { "full", "partial-zero" })
    Report("PyTorch", name, Child("/usr/bin/python3", $"{python} --scenario {name} {options.Forward()}"));

void Report(string engine, string name, string? line)
{
    if (line is null)
    {
        Console.WriteLine($"{engine,-11} {name,-15} (failed; see the error above)");
        return;
    }
    var f = line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    Console.WriteLine($"{engine,-11} {name,-15} {f[0],14:F0} {options.Batch * 1000 / f[0],16:F1} {f[1],15:F0} {options.Batch * 1000 / f[1],16:F1} {f[2],13:F0}");
}

// The child's last output line, or null when it failed (e.g. /usr/bin/python3 without python3-torch).
static string? Child(string file, string arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
    string output = process.StandardOutput.ReadToEnd().Trim();
    process.WaitForExit();
    return process.ExitCode == 0 ? output.Split('\n')[^1] : null;
}

// "train_ms,infer_ms,peak_rss_mib" for one scenario: full = every sample has an image; partial = 75 %
// without (masked: the CNN sees only the present quarter; zero: the reference's zero images).
static string RunScenario(string scenario, Options o)
{
    TorchRuntime.Initialize(new ComputeSettings(o.Threads));
    manual_seed(1);
    var mode = scenario == "partial-masked" ? MissingImageMode.Masked : MissingImageMode.ZeroImage;
    using var network = new FusionNetwork(ModelConfig.Reference(FusionType.Attention, 25) with { MissingImage = mode });
    using var loss = new FusionLoss(LossKind.Uncertainty, 25);
    using var optimizer = OptimizerFactory.Adam(network, loss, AdamSettings.Reference(7e-5));
    var hasImage = arange(o.Batch).remainder(scenario == "full" ? 1 : 4).eq(0);
    int images = (int)hasImage.sum().item<long>();
    var lengths = randint(1, 49, [o.Batch], dtype: ScalarType.Int64);
    var batch = new FusionBatch(randn(o.Batch, 48, 76), lengths, randn(images, 3, o.Size, o.Size), hasImage, rand(o.Batch, 25).round());

    double Time(Action step)
    {
        step();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++) step();
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
    return string.Create(CultureInfo.InvariantCulture, $"{train:F1},{infer:F1},{peakKiB / 1024.0:F0}");
}

sealed record Options(int Threads, int Steps, int Batch, int Size, string? Scenario)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        return new(int.Parse(Value("--threads") ?? "2"), int.Parse(Value("--steps") ?? "5"), int.Parse(Value("--batch") ?? "16"), int.Parse(Value("--size") ?? "224"), Value("--scenario"));
    }

    public string Forward() => $"--threads {Threads} --steps {Steps} --batch {Batch} --size {Size}";
}
