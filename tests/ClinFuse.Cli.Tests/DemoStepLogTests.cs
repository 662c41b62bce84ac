using ClinFuse.Cli.Demo;

namespace ClinFuse.Cli.Tests;

/// <summary>A demo rerun skips only the steps it can show complete: same command, unchanged output, nothing before it redone.</summary>
public sealed class DemoStepLogTests
{
    static DemoStep[] Steps(string root, string seed) =>
    [
        new("first", ["synth", "--seed", seed], Path.Combine(root, "a.txt")),
        new("second", ["train", "--seed", seed], Path.Combine(root, "b.txt")),
        new("third", ["report"], Path.Combine(root, "c.txt")),
    ];

    static void Complete(string root, DemoStep[] steps)
    {
        var log = DemoStepLog.Open(root);
        for (int i = 0; i < steps.Length; i++)
        {
            File.WriteAllText(steps[i].DoneMarker, steps[i].Title);
            log.Completed(i, steps[i]);
        }
    }

    static bool[] Done(string root, DemoStep[] steps)
    {
        var log = DemoStepLog.Open(root);
        return [.. steps.Select((s, i) => log.IsDone(i, s))];
    }

    [Fact]
    public void A_rerun_of_the_same_plan_skips_every_completed_step()
    {
        using var dir = Fixtures.TempFolder();
        var steps = Steps(dir.Path, "42");
        Assert.Equal([false, false, false], Done(dir.Path, steps));
        Complete(dir.Path, steps);
        Assert.Equal([true, true, true], Done(dir.Path, steps));
    }

    [Fact]
    public void Another_seed_reruns_every_step_even_where_the_outputs_exist()
    {
        using var dir = Fixtures.TempFolder();
        Complete(dir.Path, Steps(dir.Path, "42"));
        Assert.Equal([false, false, false], Done(dir.Path, Steps(dir.Path, "7")));
    }

    [Fact]
    public void A_changed_output_reruns_its_step_and_every_later_one()
    {
        using var dir = Fixtures.TempFolder();
        var steps = Steps(dir.Path, "42");
        Complete(dir.Path, steps);
        File.AppendAllText(steps[1].DoneMarker, "changed");
        Assert.Equal([true, false, false], Done(dir.Path, steps));
        File.Delete(steps[1].DoneMarker);
        Assert.Equal([true, false, false], Done(dir.Path, steps));
    }

    [Fact]
    public void Outputs_without_a_record_are_not_trusted()
    {
        using var dir = Fixtures.TempFolder();
        var steps = Steps(dir.Path, "42");
        foreach (var step in steps) File.WriteAllText(step.DoneMarker, step.Title);
        Assert.Equal([false, false, false], Done(dir.Path, steps));
        File.WriteAllText(Path.Combine(dir.Path, DemoStepLog.FileName), "{ not json");
        Assert.Equal([false, false, false], Done(dir.Path, steps));
    }

    [Fact]
    public void Completing_a_step_again_drops_the_record_of_the_steps_after_it()
    {
        using var dir = Fixtures.TempFolder();
        var steps = Steps(dir.Path, "42");
        Complete(dir.Path, steps);
        DemoStepLog.Open(dir.Path).Completed(0, steps[0]);
        Assert.Equal([true, false, false], Done(dir.Path, steps));
    }

    [Fact]
    public void A_step_that_wrote_no_marker_is_a_plan_error()
    {
        using var dir = Fixtures.TempFolder();
        var e = Assert.Throws<ClinFuse.Core.ClinFuseException>(() => DemoStepLog.Open(dir.Path).Completed(0, Steps(dir.Path, "42")[0]));
        Assert.Contains("without writing", e.Message);
    }
}
