using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Features.Images;

// End-to-end image-preprocessing throughput: .NET (this library) against the reference Python
// stack (Pillow + OpenCV) on the same generated JPEGs, in one run, with rounds of both sides
// alternating so that load from other processes hits both alike. Numbers are printed, not asserted.
//   dotnet run -c Release --project bench/ImagePipeline -- [--samples DIR] [--full-count N] [--rounds N] [--threads N]

var samples = Argument("--samples", "/work/shared/cxr-samples/images");
int fullCount = int.Parse(Argument("--full-count", "20"));
int rounds = int.Parse(Argument("--rounds", "4"));
int threads = int.Parse(Argument("--threads", Environment.ProcessorCount.ToString()));

var work = Directory.CreateTempSubdirectory("clinfuse-bench-images-").FullName;
try
{
    var folder512 = Directory.CreateDirectory(Path.Combine(work, "w512")).FullName;
    var folderFull = Directory.CreateDirectory(Path.Combine(work, "full")).FullName;
    var sources = Directory.GetFiles(samples, "*.png").Order(StringComparer.Ordinal).ToArray();
    Console.WriteLine($"Generating inputs from {sources.Length} samples in {work} ...");
    for (int i = 0; i < sources.Length; i++)
    {
        var original = ImageDecoder.DecodeFile(sources[i]);
        // resize.py output (512 wide, JPEG q75 as the reference saves it), portrait like most MIMIC-CXR images.
        var stretched = PillowResample.Resize(original, original.Width, original.Height * 6 / 5, ResampleFilter.Bicubic);
        WriteJpeg(PillowResample.ResizeToWidth(stretched, 512), Path.Combine(folder512, $"{i:D3}.jpg"), 75);
        // Full-size MIMIC-CXR-JPG images are about 2544x3056, JPEG q95.
        if (i < fullCount) WriteJpeg(PillowResample.Resize(original, 2544, 3056, ResampleFilter.Bicubic), Path.Combine(folderFull, $"{i:D3}.jpg"), 95);
    }
    var files512 = Directory.GetFiles(folder512, "*.jpg").Order(StringComparer.Ordinal).ToArray();
    var filesFull = Directory.GetFiles(folderFull, "*.jpg").Order(StringComparer.Ordinal).ToArray();

    // Same work as the Python script: decode → (resize.py to 512) → CLAHE → Resize(256) → 256² centre crop.
    var at512 = new ImagePreprocessing(ResizeWidth: 0);
    var exact = new ImagePreprocessing();
    var shrink = exact with { ShrinkOnLoad = true };
    Console.WriteLine($".NET {Environment.Version}, {RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} logical cores, load average {LoadAverage()}");

    Console.WriteLine("Stage breakdown, 1 thread (ms per image):");
    Stages("512px JPEG", files512, at512);
    Stages("full JPEG", filesFull, exact);
    Stages("full JPEG, shrink-on-load", filesFull, shrink);

    Console.WriteLine($"Throughput, 1 thread each, {rounds} alternating rounds (images/s, wall time; CPU time per image):");
    Compare("512px JPEG (decode+CLAHE+Resize256+crop)", "512", folder512, files512, [("exact", at512)]);
    Compare("full JPEG (decode+resize.py+CLAHE+Resize256+crop)", "full", folderFull, filesFull, [("exact", exact), ("shrink-on-load", shrink)]);

    Console.WriteLine($"Throughput, .NET, {threads} threads (images/s):");
    Console.WriteLine($"  512px JPEG {DotNetRound(files512, at512, threads) * 1:F1}; full JPEG {DotNetRound(filesFull, exact, threads):F1}; full JPEG shrink-on-load {DotNetRound(filesFull, shrink, threads):F1}");

    var cachePath = Path.Combine(work, "images.cache");
    var list = files512.Select((f, i) => new ImageSource($"s{i}", f)).ToList();
    var summary = ImageCacheBuilder.Build(cachePath, list, at512, new ComputeSettings(threads));
    Console.WriteLine($"Cache: {summary.Present} images of 256x256 in {summary.FileBytes:N0} bytes -> {summary.FileBytes * 1000.0 / summary.Count / 1e6:F1} MB per 1,000 images");
    Console.WriteLine($"Load average at the end: {LoadAverage()}");
}
finally
{
    Directory.Delete(work, recursive: true);
}

void Compare(string title, string workload, string folder, string[] files, (string Name, ImagePreprocessing Settings)[] variants)
{
    // Wall time and CPU time of both sides: on a loaded machine the wall-time ratio also measures who waited
    // for a core; CPU time per image (the process's, GC and JIT threads included) does not.
    var dotnetSeconds = new double[variants.Length];
    var dotnetCpuSeconds = new double[variants.Length];
    double pythonSeconds = 0, pythonCpuSeconds = 0;
    int pythonImages = 0;
    string versions = "";
    foreach (var (_, settings) in variants) settings.LoadSlot(files[0]);
    for (int r = 0; r < rounds; r++)
    {
        for (int v = 0; v < variants.Length; v++)
        {
            var cpu = ProcessCpuSeconds();
            dotnetSeconds[v] += files.Length / DotNetRound(files, variants[v].Settings, 1);
            dotnetCpuSeconds[v] += ProcessCpuSeconds() - cpu;
        }
        var python = Python(workload, folder);
        if (python is null) break;
        pythonSeconds += python.Value.GetProperty("seconds").GetDouble();
        pythonCpuSeconds += python.Value.GetProperty("cpu_seconds").GetDouble();
        pythonImages += python.Value.GetProperty("images").GetInt32();
        versions = $"Python {python.Value.GetProperty("python")}, OpenCV {python.Value.GetProperty("opencv")}, Pillow {python.Value.GetProperty("pillow")}";
    }
    Console.WriteLine($"  {title}");
    double pythonRate = pythonImages / pythonSeconds, pythonCpuMs = pythonCpuSeconds * 1000 / pythonImages;
    for (int v = 0; v < variants.Length; v++)
    {
        double rate = files.Length * rounds / dotnetSeconds[v], cpuMs = dotnetCpuSeconds[v] * 1000 / (files.Length * rounds);
        Console.WriteLine($"    .NET {variants[v].Name,-16} {rate,8:F1}" + (pythonImages > 0 ? $"   {rate / pythonRate:F2}x Python" : "")
            + $"   CPU {cpuMs,6:F2} ms/image" + (pythonImages > 0 ? $"   {pythonCpuMs / cpuMs:F2}x Python" : ""));
    }
    if (pythonImages > 0) Console.WriteLine($"    {"Python",-21} {pythonRate,8:F1}          CPU {pythonCpuMs,6:F2} ms/image   ({versions})");
    else Console.WriteLine("    Python run failed (needs /usr/bin/python3 with python3-opencv and python3-pil); no comparison.");
}

static double ProcessCpuSeconds()
{
    using var process = Process.GetCurrentProcess();
    return process.TotalProcessorTime.TotalSeconds;
}

static double DotNetRound(string[] files, ImagePreprocessing settings, int threadCount)
{
    var watch = Stopwatch.StartNew();
    Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = threadCount }, i => settings.LoadSlot(files[i]));
    return files.Length / watch.Elapsed.TotalSeconds;
}

static JsonElement? Python(string workload, string folder)
{
    var script = Path.Combine(AppContext.BaseDirectory, "pipeline_python.py");
    using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, workload, folder, "1"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    var output = process.StandardOutput.ReadToEnd();
    process.StandardError.ReadToEnd();
    process.WaitForExit();
    return process.ExitCode == 0 ? JsonDocument.Parse(output).RootElement.Clone() : null;
}

static void Stages(string name, string[] files, ImagePreprocessing p)
{
    double decode = 0, resize = 0, clahe = 0, slot = 0;
    foreach (var file in files)
    {
        var watch = Stopwatch.StartNew();
        var image = ImageDecoder.DecodeFile(file, p.ShrinkOnLoad ? p.ResizeWidth : 0);
        decode += watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        if (p.ResizeWidth > 0) image = PillowResample.ResizeToWidth(image, p.ResizeWidth);
        resize += watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        image = Clahe.Paper.Apply(image);
        clahe += watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        p.ToSlot(image);
        slot += watch.Elapsed.TotalMilliseconds;
    }
    int n = files.Length;
    Console.WriteLine($"  {name,-28} decode {decode / n,6:F2}  resize.py {resize / n,6:F2}  CLAHE {clahe / n,6:F2}  Resize256+crop {slot / n,6:F2}");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

string Argument(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static void WriteJpeg(GrayImage image, string path, int quality) => File.WriteAllBytes(path, ImageWriter.EncodeJpeg(image, quality));
