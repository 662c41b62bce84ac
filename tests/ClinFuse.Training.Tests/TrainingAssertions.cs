using ClinFuse.Core.Stages;
using static TorchSharp.torch;

namespace ClinFuse.Training.Tests;

/// <summary>Cancels the run once the given epoch has been reported (as Ctrl+C would after that epoch); epoch 0 = as soon as training starts.</summary>
sealed class CancelAfterEpoch(int epoch, CancellationTokenSource source) : IStageProgress
{
    public IProgressStep Step(string name, long? total = null, string unit = "items")
    {
        if (epoch == 0) source.Cancel();
        return StageProgress.None.Step(name, total, unit);
    }

    public void Info(string message)
    {
        if (message.StartsWith($"epoch {epoch}/", StringComparison.Ordinal)) source.Cancel();
    }
}

/// <summary>Comparisons of trained weights.</summary>
static class TrainingAssertions
{
    public static Dictionary<string, float[]> Weights(nn.Module module) =>
        module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray());

    public static void AssertSameWeights(nn.Module expected, nn.Module actual)
    {
        var a = Weights(expected);
        var b = Weights(actual);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, values) in a) Assert.True(values.AsSpan().SequenceEqual(b[name]), $"tensor {name} differs");
    }
}
