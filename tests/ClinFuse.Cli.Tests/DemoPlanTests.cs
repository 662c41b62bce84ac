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

    [Fact]
    public void The_cxr_task_pretraining_fine_tunes_the_radiology_encoder_at_the_transfer_rate_and_trains_from_scratch_at_the_pretraining_rate()
    {
        var size = DemoSize.Standard with { PretrainLearningRate = 0.002, TransferLearningRate = 0.0003 };
        var cxrTask = Commands(size).Where(c => c.Contains("--encoder cxr") && !c.Contains("--labels radiology")).ToList();
        Assert.Equal(2, cxrTask.Count);
        Assert.All(cxrTask, c => Assert.Contains("--cxr-encoder /demo/runs/pretrain-cxr-radiology", c));
        Assert.All(cxrTask, c => Assert.Contains("--lr 0.0003 ", c));
        Assert.Contains(Commands(size), c => c.Contains("--labels radiology") && c.Contains("--lr 0.002 "));
        Assert.Contains(Commands(size), c => c.Contains("--encoder ehr") && c.Contains("--lr 0.002 "));

        var scratch = Commands(size with { RadiologyEpochs = 0 }).Where(c => c.Contains("--encoder cxr")).ToList();
        Assert.Equal(2, scratch.Count);
        Assert.All(scratch, c => Assert.Contains("--lr 0.002 ", c));
        Assert.All(scratch, c => Assert.DoesNotContain("--cxr-encoder", c));
    }

    [Fact]
    public void Every_training_step_of_every_demo_selects_its_epoch_on_the_validation_loss()
    {
        foreach (var size in new[] { DemoSize.Quick, DemoSize.Standard, DemoSize.Full, DemoSize.Large })
        {
            var training = Commands(size).Where(c => c.StartsWith("clinfuse pretrain ", StringComparison.Ordinal) || c.StartsWith("clinfuse train ", StringComparison.Ordinal)).ToList();
            Assert.True(training.Count >= 5);
            Assert.All(training, c => Assert.Contains(" --monitor loss ", c));
        }
    }

    [Fact]
    public void The_verdict_bounds_each_single_modality_run_by_its_own_oracle()
    {
        var runs = DemoPlan.Build("/demo", DemoSize.Standard, 42).Runs;
        Assert.Equal(OracleView.Series, runs.Single(r => r.Title == DemoPlan.SeriesOnlyTitle).Ceiling);
        Assert.Equal(OracleView.Image, runs.Single(r => r.Title == DemoPlan.ImageOnlyTitle).Ceiling);
        Assert.Equal(OracleView.Available, runs[^1].Ceiling);
    }

    [Fact]
    public void The_large_demo_extends_a_standard_run_of_the_same_size_with_every_table()
    {
        var standard = Commands(DemoSize.Standard with { Patients = DemoSize.Large.Patients });
        var large = Commands(DemoSize.Large);
        // The large plan starts with the standard plan's steps up to MedFuse, so a rerun into a standard run's folder skips them,
        // and trains the standard run's other models with the same commands.
        int shared = standard.FindIndex(c => c.Contains("--out /demo/runs/medfuse ")) + 1;
        Assert.True(shared >= 10);
        Assert.Equal(standard.Take(shared), large.Take(shared));
        Assert.All(standard.Where(c => c.StartsWith("clinfuse train ", StringComparison.Ordinal)), c => Assert.Contains(c, large));
        Assert.Contains(large, c => c.Contains("--model contrastive-vit"));
        Assert.Contains(large, c => c.Contains("--model card"));
        Assert.Contains(large, c => c.Contains("--out /demo/runs/attention-clahe "));
        foreach (var protocol in new[] { "clean-train", "noisy-train" })
            Assert.Contains(large, c => c.StartsWith($"clinfuse robustness --protocol {protocol} --seed 42 --levels 10 20 30 40 50 60 ", StringComparison.Ordinal));
    }
}
