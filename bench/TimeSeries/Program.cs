using System.Diagnostics;
using System.Globalization;
using ClinFuse.Features.TimeSeries;

// Throughput of discretize + normalize (the per-sample work of every epoch) on synthetic 48 h stays.
// Usage: dotnet run -c Release --project bench/TimeSeries [stays] [seconds]
int stayCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 3;

var config = DiscretizerConfig.Reference;
var random = new Random(1);
// About one charted row every 40 min with 5–8 of the 17 channels filled, like a MIMIC-IV ICU stay.
var stays = Enumerable.Range(0, stayCount).Select(_ =>
{
    var observations = new List<SeriesObservation>();
    for (double t = random.NextDouble(); t < 60; t += 0.2 + random.NextDouble())
        for (int k = 0, n = 5 + random.Next(4); k < n; k++)
        {
            int ch = random.Next(config.ChannelCount);
            string value = config.IsCategorical(ch)
                ? config.Categories(ch)[random.Next(config.Categories(ch).Count)]
                : (50 + random.NextDouble() * 100).ToString("R", CultureInfo.InvariantCulture);
            observations.Add(new SeriesObservation(t, ch, value));
        }
    return SeriesEpisode.FromObservations(observations);
}).ToArray();

var discretizer = new Discretizer();
var normalizer = Normalizer.Reference;
var buffer = new float[discretizer.StepCount(48) * discretizer.ColumnCount];
Console.WriteLine($"{stayCount} synthetic stays, mean {stays.Average(s => s.EventCount):F0} observations; IHM window 48 h -> [48, 76] float32");

Measure("discretize+normalize into a reused buffer, 1 thread", () =>
{
    foreach (var stay in stays) discretizer.Transform(stay, 48, buffer.AsSpan(), normalizer);
});
Measure("discretize+normalize, new float[] per stay, 1 thread", () =>
{
    foreach (var stay in stays) discretizer.Transform(stay, 48, normalizer);
});
Measure($"discretize+normalize, new float[] per stay, Parallel.For ({Environment.ProcessorCount} cores)", () =>
    Parallel.For(0, stays.Length, i => discretizer.Transform(stays[i], 48, normalizer)));

void Measure(string name, Action pass)
{
    pass(); // warm-up (JIT, pools)
    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    int passes = 0;
    while (watch.Elapsed.TotalSeconds < seconds) { pass(); passes++; }
    watch.Stop();
    double total = passes * (double)stays.Length;
    double perSecond = total / watch.Elapsed.TotalSeconds;
    // CPU time per stay is the steadier number on a machine shared with other work.
    double cpuMicroseconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / total;
    double bytesPerStay = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / total;
    Console.WriteLine($"{name}: {perSecond:N0} stays/s wall ({1e6 / perSecond:F2} µs/stay), {cpuMicroseconds:F2} µs CPU/stay, {bytesPerStay:N0} B allocated/stay");
}
