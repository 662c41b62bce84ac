namespace ClinFuse.Core.Stages;

/// <summary>
/// Where a long-running stage reports what it is doing. Libraries take one of these; the command
/// line supplies a console implementation, tests and library users pass <see cref="StageProgress.None"/>.
/// Implementations are thread-safe: steps may be advanced from parallel workers.
/// </summary>
public interface IStageProgress
{
    /// <summary>Starts a named step; <paramref name="total"/> enables a rate and an ETA.</summary>
    IProgressStep Step(string name, long? total = null, string unit = "items");

    /// <summary>A one-line message (a plan, a count, a warning).</summary>
    void Info(string message);
}

/// <summary>One step of a stage; disposing it marks it finished.</summary>
public interface IProgressStep : IDisposable
{
    /// <summary>Adds to the amount done.</summary>
    void Advance(long by = 1);

    /// <summary>Sets or corrects the total once it is known.</summary>
    void SetTotal(long total);
}

/// <summary>Progress helpers.</summary>
public static class StageProgress
{
    /// <summary>Reports nothing.</summary>
    public static IStageProgress None { get; } = new NullProgress();

    sealed class NullProgress : IStageProgress, IProgressStep
    {
        public IProgressStep Step(string name, long? total = null, string unit = "items") => this;
        public void Info(string message) { }
        public void Advance(long by = 1) { }
        public void SetTotal(long total) { }
        public void Dispose() { }
    }
}
