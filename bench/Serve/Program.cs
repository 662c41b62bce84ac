// Load benchmark of `clinfuse serve` on loopback: concurrent clients post one stay (series only, then
// with its image) a bounded number of times; prints requests/s and p50/p99 latency per phase, then the
// managed heap and resident memory before and after a long series-only run (growth check).
//   dotnet run -c Release --project bench/Serve -- --run RUN --series STAY_timeseries.csv --image CXR.jpg
//       [--clients 4] [--requests 400] [--memory-requests 10000] [--threads 2]
using System.Diagnostics;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Inference.Prediction;
using ClinFuse.Serving;

var options = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
string Need(string key) => options.TryGetValue(key, out var v) ? v : throw new ArgumentException($"{key} is required (see the comment at the top of Program.cs).");
int Int(string key, int fallback) => options.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

int clients = Int("--clients", 4), requests = Math.Clamp(Int("--requests", 400), 1, 100_000), memoryRequests = Math.Clamp(Int("--memory-requests", 10_000), 0, 100_000);
var series = File.ReadAllBytes(Need("--series"));
var image = options.TryGetValue("--image", out var imagePath) ? File.ReadAllBytes(imagePath) : null;

using var predictor = RunPredictor.Open(Need("--run"), new ComputeSettings(Int("--threads", 2)));
await using var app = ServeApp.Create(new ServeOptions(Port: 0), predictor);
await app.StartAsync();
using var http = new HttpClient { BaseAddress = new Uri(app.Address) };
Console.WriteLine($"model {predictor.ModelName}; {clients} clients; {Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

async Task<double[]> Phase(int count, bool withImage)
{
    var latencies = new double[count];
    int next = -1;
    async Task Client()
    {
        while (true)
        {
            int i = Interlocked.Increment(ref next);
            if (i >= count) return;
            using var form = new MultipartFormDataContent { { new ByteArrayContent(series), "series", "stay.csv" } };
            if (withImage && image is not null) form.Add(new ByteArrayContent(image), "image", "cxr.jpg");
            var clock = Stopwatch.StartNew();
            using var response = await http.PostAsync("/predict", form);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
    }
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Client()));
    return latencies;
}

static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

Console.WriteLine("phase          requests  req/s     p50 ms   p99 ms");
foreach (var (name, withImage) in new[] { ("series only", false), ("with image", true) })
{
    if (withImage && image is null) continue;
    await Phase(Math.Min(20, requests), withImage); // warm-up
    var clock = Stopwatch.StartNew();
    var latencies = await Phase(requests, withImage);
    double seconds = clock.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-14} {requests,8}  {requests / seconds,7:F1}  {Percentile(latencies, 0.5),7:F1}  {Percentile(latencies, 0.99),7:F1}"));
}

if (memoryRequests > 0)
{
    static (double Heap, double Rss) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(true) / 1048576.0, self.WorkingSet64 / 1048576.0);
    }
    var before = Memory();
    await Phase(memoryRequests / 2, withImage: false);
    var middle = Memory();
    await Phase(memoryRequests - memoryRequests / 2, withImage: false);
    var after = Memory();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"memory over {memoryRequests} series-only requests: managed heap {before.Heap:F1} → {middle.Heap:F1} → {after.Heap:F1} MiB, RSS {before.Rss:F0} → {middle.Rss:F0} → {after.Rss:F0} MiB"));
}
