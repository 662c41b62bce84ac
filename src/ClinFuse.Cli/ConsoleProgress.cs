using System.Diagnostics;
using ClinFuse.Core.Stages;

namespace ClinFuse.Cli;

/// <summary>
/// Progress on stderr: on a terminal one self-updating line per step (amount, rate, ETA), redrawn
/// at most 5 times a second; otherwise (logs, CI) a line when a step starts, every 10 seconds, and
/// when it ends. Thread-safe.
/// </summary>
internal sealed class ConsoleProgress : IStageProgress
{
    readonly Lock gate = new();
    readonly TextWriter writer;
    readonly bool interactive;

    /// <summary>Progress written to <paramref name="writer"/>; <paramref name="interactive"/> redraws one line in place.</summary>
    public ConsoleProgress(TextWriter writer, bool interactive)
    {
        this.writer = writer;
        this.interactive = interactive;
    }

    public void Info(string message)
    {
        lock (gate) writer.WriteLine(message);
    }

    public IProgressStep Step(string name, long? total = null, string unit = "items") => new StepLine(this, name, total, unit);

    sealed class StepLine : IProgressStep
    {
        readonly ConsoleProgress owner;
        readonly string name;
        readonly string unit;
        readonly Stopwatch clock = Stopwatch.StartNew();
        long done;
        long total;
        long lastDrawTicks;
        bool finished;

        public StepLine(ConsoleProgress owner, string name, long? total, string unit)
        {
            this.owner = owner;
            this.name = name;
            this.unit = unit;
            this.total = total ?? 0;
            if (!owner.interactive) lock (owner.gate) owner.writer.WriteLine($"{name} ...");
        }

        public void Advance(long by = 1)
        {
            Interlocked.Add(ref done, by);
            long now = clock.ElapsedTicks;
            long interval = owner.interactive ? Stopwatch.Frequency / 5 : Stopwatch.Frequency * 10;
            long last = Interlocked.Read(ref lastDrawTicks);
            if (now - last >= interval && Interlocked.CompareExchange(ref lastDrawTicks, now, last) == last) Draw(final: false);
        }

        public void SetTotal(long value) => Interlocked.Exchange(ref total, value);

        public void Dispose()
        {
            if (finished) return;
            finished = true;
            Draw(final: true);
        }

        void Draw(bool final)
        {
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            long d = Interlocked.Read(ref done), t = Interlocked.Read(ref total);
            double rate = d / seconds;
            string amount = t > 0 ? $"{Human(d)}/{Human(t)} {unit} ({100.0 * d / t:0}%)" : $"{Human(d)} {unit}";
            string tail = final
                ? $"done in {Elapsed(clock.Elapsed)}"
                : t > 0 && rate > 0 ? $"ETA {Elapsed(TimeSpan.FromSeconds((t - d) / rate))}" : Elapsed(clock.Elapsed);
            string line = $"{name}: {amount}, {Human((long)rate)} {unit}/s, {tail}";
            lock (owner.gate)
            {
                if (owner.interactive) owner.writer.Write($"\r\u001b[2K{line}{(final ? "\n" : "")}");
                else owner.writer.WriteLine(line);
            }
        }

        static string Human(long n) => n switch
        {
            >= 10_000_000_000 => $"{n / 1e9:0.#}G",
            >= 10_000_000 => $"{n / 1e6:0.#}M",
            >= 100_000 => $"{n / 1e3:0.#}k",
            _ => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        static string Elapsed(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
    }
}
