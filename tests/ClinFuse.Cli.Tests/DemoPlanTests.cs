using ClinFuse.Cli.Demo;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Cli.Tests;

/// <summary>What each demo variant plans to run, without running it.</summary>
public sealed class DemoPlanTests
{
    static List<string> Commands(DemoSize size, ClinicalTask task = ClinicalTask.Phenotyping) =>
        [.. DemoPlan.Build("/demo", size, 42, task).Steps.Select(s => s.CommandLine)];

    [Fact]
    public void The_ihm_demo_prepares_the_mortality_task_and_reports_against_its_own_oracle()
    {
        var commands = Commands(DemoSize.Standard, ClinicalTask.InHospitalMortality);
        Assert.Equal(2, commands.Count(c => c.StartsWith("clinfuse prepare", StringComparison.Ordinal) && c.Contains("--task ihm")));
        Assert.DoesNotContain(commands, c => c.Contains("phenotyping"));
        Assert.Contains(commands, c => c.StartsWith("clinfuse report", StringComparison.Ordinal) && c.Contains("--truth /demo/oracle-ihm.csv"));
    }

    [Fact]
    public void Baselines_are_trained_by_the_quick_and_full_demos_but_not_the_standard_one()
    {
        foreach (var size in new[] { DemoSize.Quick, DemoSize.Full })
        {
            var commands = Commands(size);
            Assert.Contains(commands, c => c.Contains("train ") && c.Contains("--model contrastive-vit") && c.Contains("--ehr-encoder"));
            Assert.Contains(commands, c => c.Contains("--model card") && c.Contains("--cxr-encoder /demo/runs/pretrain-cxr-clahe"));
            Assert.Contains(commands, c => c.StartsWith("clinfuse evaluate --run /demo/runs/card", StringComparison.Ordinal));
        }
        Assert.DoesNotContain(Commands(DemoSize.Standard), c => c.Contains("--model card") || c.Contains("--model contrastive-vit"));
        // The verdict's fusion model is the last run, whatever else is trained.
        Assert.EndsWith("attention-uncertainty-clahe", DemoPlan.Build("/demo", DemoSize.Full, 42).Runs[^1].Folder);
    }
}
