using ClinFuse.Core;
using ClinFuse.Models;
using static TorchSharp.torch;

namespace ClinFuse.Training.Tests;

// libtorch's seed and thread count are process-wide: tests that use them never run concurrently.
[Collection(LibTorchCollection.Name)]
public sealed class PlateauSchedulerTests
{
    [Fact]
    public void Rate_halves_after_more_than_patience_epochs_without_a_relative_improvement()
    {
        TorchRuntime.Initialize(new ComputeSettings(1));
        using var weight = nn.Parameter(zeros(2));
        using var optimizer = optim.Adam([weight], 0.1);
        var scheduler = new PlateauScheduler(optimizer, factor: 0.5, patience: 2);
        // 1.0 sets the best; 0.99995 is within the 1e-4 relative threshold, so it is a bad epoch like the others.
        double[] losses = [1.0, 0.99995, 1.2, 1.1];
        var rates = new List<double>();
        foreach (var loss in losses)
        {
            scheduler.Step(loss);
            rates.Add(scheduler.LearningRate);
        }
        Assert.Equal([0.1, 0.1, 0.1, 0.05], rates);

        var saved = scheduler.Save();
        var restored = new PlateauScheduler(optimizer, 0.5, 2);
        optimizer.ParamGroups.First().LearningRate = 1;
        restored.Restore(saved);
        Assert.Equal(0.05, restored.LearningRate);
        restored.Step(0.5);
        restored.Step(0.6);
        restored.Step(0.6);
        Assert.Equal(0.05, restored.LearningRate);
        restored.Step(0.6);
        Assert.Equal(0.025, restored.LearningRate);
    }
}
