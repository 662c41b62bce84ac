// TorchSharp 0.107 passes its temporary Scalar objects to libtorch by raw handle without keeping them
// alive, so a garbage collection during the native call lets the finaliser thread free a scalar
// libtorch is still reading. This benchmark provokes that race and counts what it does: one thread
// adds 2 in place to a small float64 tensor (short calls, so many of them) and checks the result after
// every call, while another thread allocates and forces gen-0 collections and spinning threads
// oversubscribe the cores (far more pressure than training has, to make a rare race show within
// seconds). Each way of passing the scalars runs in its own child process, so a
// native abort is reported instead of ending the benchmark:
//   temporary  x.add_(2.0): TorchSharp converts 2.0 and its own alpha 1 to temporary scalars
//   held       x.add_(two, one) with scalars the caller holds (what ClinFuse's Adam and BatchNorm do)
//
//   dotnet run -c Release --project bench/ScalarRace [-- --seconds 20 --elements 16 --burners 4]
using System.Diagnostics;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Models;
using TorchSharp;
using static TorchSharp.torch;

double seconds = Option("--seconds", 20);
long elements = (long)Option("--elements", 16);
int burnerCount = (int)Option("--burners", 4);
string? mode = args.SkipWhile(a => a != "--mode").Skip(1).FirstOrDefault();
if (mode is not null)
{
    Trial(mode);
    return;
}

Console.WriteLine($"{elements:N0} float64 elements, {seconds} s per mode, forced gen-0 collections on a second thread, {burnerCount} spinning threads, {Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine("| mode | calls | wrong results | exceptions | exit code | first failure |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var name in new[] { "temporary", "held" })
{
    var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { "--mode", name, "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--elements", elements.ToString(CultureInfo.InvariantCulture), "--burners", burnerCount.ToString(CultureInfo.InvariantCulture) })
        info.ArgumentList.Add(a);
    using var child = Process.Start(info)!;
    var stderr = child.StandardError.ReadToEndAsync();
    string result = child.StandardOutput.ReadToEnd().Trim();
    child.WaitForExit();
    string error = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(l => l.Contains("rror") || l.Contains("xpected")) ?? "";
    Console.WriteLine(child.ExitCode == 0 ? $"| {name} | {result} |" : $"| {name} | (died) | | | {child.ExitCode} | {error.Trim()} |");
}

void Trial(string how)
{
    TorchRuntime.Initialize(new ComputeSettings(1));
    using var x = zeros(elements, dtype: float64);
    using var two = 2.0.ToScalar();
    using var one = 1.0.ToScalar();
    bool stop = false;
    var garbage = new Thread(() =>
    {
        while (!Volatile.Read(ref stop))
        {
            for (int i = 0; i < 1000; i++) GC.KeepAlive(new byte[64]);
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        }
    });
    garbage.Start();
    // Spinning threads oversubscribe the cores, so that the OS preempts the calling thread inside the
    // few microseconds between handing libtorch a scalar and libtorch reading it.
    var burners = Enumerable.Range(0, burnerCount).Select(_ => new Thread(() => { while (!Volatile.Read(ref stop)) Thread.SpinWait(1000); })).ToList();
    burners.ForEach(t => t.Start());
    long calls = 0, wrong = 0, exceptions = 0;
    string first = "";
    double expected = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        try
        {
            if (how == "held") x.add_(two, one);
            else x.add_(2.0);
            expected += 2;
            calls++;
            double seen = x[0].item<double>();
            if (seen != expected)
            {
                wrong++;
                if (first.Length == 0) first = $"call {calls}: {seen} instead of {expected}";
                x.fill_(expected);
            }
        }
        catch (Exception e)
        {
            exceptions++;
            if (first.Length == 0) first = $"call {calls}: {e.Message.Split('\n')[0]}";
        }
    }
    Volatile.Write(ref stop, true);
    garbage.Join();
    burners.ForEach(t => t.Join());
    Console.WriteLine($"{calls:N0} | {wrong} | {exceptions} | 0 | {first}");
}

double Option(string name, double fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
