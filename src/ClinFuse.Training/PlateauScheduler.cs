using TorchSharp;

namespace ClinFuse.Training;

/// <summary>Where a <see cref="PlateauScheduler"/> stands (saved for exact resume).</summary>
/// <param name="Best">Lowest loss seen.</param>
/// <param name="BadEpochs">Epochs since it improved.</param>
/// <param name="LearningRates">Current rate of each optimizer parameter group.</param>
public sealed record PlateauState(double Best, int BadEpochs, double[] LearningRates);

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c> in mode "min" with its defaults (relative threshold 1e-4,
/// cooldown 0, min_lr 0): after more than <c>patience</c> epochs without a loss below
/// best·(1 − 1e-4), every parameter group's rate is multiplied by <c>factor</c>.
/// </summary>
internal sealed class PlateauScheduler
{
    const double Threshold = 1e-4;
    const double Eps = 1e-8;
    readonly torch.optim.Optimizer optimizer;
    readonly double factor;
    readonly int patience;
    double best = double.PositiveInfinity;
    int badEpochs;

    /// <summary>Schedules the rates of <paramref name="optimizer"/>.</summary>
    public PlateauScheduler(torch.optim.Optimizer optimizer, double factor, int patience)
    {
        this.optimizer = optimizer;
        this.factor = factor;
        this.patience = patience;
    }

    /// <summary>Feeds one epoch's validation loss.</summary>
    public void Step(double loss)
    {
        if (loss < best * (1 - Threshold))
        {
            best = loss;
            badEpochs = 0;
        }
        else badEpochs++;
        if (badEpochs <= patience) return;
        foreach (var group in optimizer.ParamGroups)
        {
            double reduced = group.LearningRate * factor;
            if (group.LearningRate - reduced > Eps) group.LearningRate = reduced;
        }
        badEpochs = 0;
    }

    /// <summary>The network group's current rate.</summary>
    public double LearningRate => optimizer.ParamGroups.First().LearningRate;

    /// <summary>A snapshot for the run folder.</summary>
    public PlateauState Save() => new(best, badEpochs, [.. optimizer.ParamGroups.Select(g => g.LearningRate)]);

    /// <summary>Restores a snapshot (also the optimizer's rates).</summary>
    public void Restore(PlateauState state)
    {
        best = state.Best;
        badEpochs = state.BadEpochs;
        int i = 0;
        foreach (var group in optimizer.ParamGroups) group.LearningRate = state.LearningRates[i++];
    }
}
