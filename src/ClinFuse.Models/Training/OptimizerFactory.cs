using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Models.Training;

/// <summary>Adam settings for the network group and the loss (log-variance) group.</summary>
/// <param name="LearningRate">Network learning rate.</param>
/// <param name="Beta1">Network β1.</param>
/// <param name="Beta2">Network β2.</param>
/// <param name="LossLearningRate">Learning rate of the loss parameters (uncertainty log-variances).</param>
/// <param name="LossBeta1">β1 of the loss parameters.</param>
/// <param name="LossBeta2">β2 of the loss parameters.</param>
/// <param name="Epsilon">Adam ε (both groups).</param>
public sealed record AdamSettings(double LearningRate, double Beta1, double Beta2, double LossLearningRate, double LossBeta1, double LossBeta2, double Epsilon = 1e-8)
{
    /// <summary>
    /// The reference trainer: β = (0.9, 0.9) for the network (its <c>--beta_1</c> is passed as β2),
    /// (0.9, 0.999) and lr 7e−4 for the log-variances.
    /// </summary>
    public static AdamSettings Reference(double learningRate) => new(learningRate, 0.9, 0.9, 7e-4, 0.9, 0.999);

    /// <summary>Standard Adam betas (0.9, 0.999) for both groups.</summary>
    public static AdamSettings Default(double learningRate) => new(learningRate, 0.9, 0.999, 7e-4, 0.9, 0.999);
}

/// <summary>
/// Builds the Adam optimiser (<see cref="ClinFuse.Models.Training.Adam">ClinFuse's Adam</see>: TorchSharp's update with its scalars held)
/// with one parameter group for the network and one for the loss.
/// </summary>
public static class OptimizerFactory
{
    /// <summary>
    /// Adam over every network parameter (parameters without a gradient are skipped at each step, as in
    /// PyTorch) and, when the loss has any, the loss parameters in their own group.
    /// </summary>
    public static Adam Adam(nn.Module network, nn.Module loss, AdamSettings settings)
    {
        var groups = new List<Adam.ParamGroup>
        {
            new(network.parameters(), new Adam.Options { LearningRate = settings.LearningRate, beta1 = settings.Beta1, beta2 = settings.Beta2, eps = settings.Epsilon }),
        };
        var lossParameters = loss.parameters().ToList();
        if (lossParameters.Count > 0)
            groups.Add(new(lossParameters, new Adam.Options { LearningRate = settings.LossLearningRate, beta1 = settings.LossBeta1, beta2 = settings.LossBeta2, eps = settings.Epsilon }));
        return new Adam(groups, settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon);
    }

    /// <summary>Adam with the network settings over <paramref name="parameters"/> alone (one group; models without loss parameters).</summary>
    public static Adam Adam(IEnumerable<Parameter> parameters, AdamSettings settings) =>
        new([new TorchSharp.Modules.Adam.ParamGroup { Parameters = parameters }], settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon);
}
