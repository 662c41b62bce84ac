using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Networks;
using ClinFuse.Training.Recipes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Training.Modeling;

/// <summary>
/// The Contrastive + ViT baseline in one of its phases. Pre-training: the contrastive loss (two views
/// per series and image, NT-Xent within each modality, CLIP's InfoNCE across), validated by the same
/// loss on validation views (monitor <see cref="MonitorMetric.Loss"/>). Main: the classifier on the
/// fused features, fine-tuned end to end with BCE.
/// </summary>
internal sealed class ContrastiveVitModel(ContrastiveVitNetwork network, TrainingPhase phase, IReadOnlyList<string> labels)
    : BaselineModel<ContrastiveVitNetwork>(network, phase, labels)
{
    /// <inheritdoc/>
    protected override object Configuration => Baseline.Config;

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> TrainedParameters => ParametersOf(Baseline);

    /// <inheritdoc/>
    public override Tensor TrainingLoss(FusionBatch batch, Generator generator) => Phase == TrainingPhase.Pretraining
        ? Baseline.PretrainLoss(batch, generator).Total
        : nn.functional.binary_cross_entropy(Baseline.Forward(batch).Probabilities, batch.Labels!);

    /// <inheritdoc/>
    public override void AfterStep()
    {
        if (Phase == TrainingPhase.Pretraining) Baseline.ClampLogitScale();
    }

    /// <inheritdoc/>
    public override FusionOutput Predict(FusionBatch batch, Generator generator) => Baseline.Forward(batch);

    /// <summary>Pre-training: the contrastive loss of validation views; main phase: BCE of the predictions.</summary>
    public override Tensor ValidationLoss(FusionBatch batch, FusionOutput output, Generator generator) => Phase == TrainingPhase.Pretraining
        ? Baseline.PretrainLoss(batch, generator).Total
        : base.ValidationLoss(batch, output, generator);

    /// <inheritdoc/>
    public override void Save(string path, int epoch, IReadOnlyDictionary<string, double> metrics) =>
        BaselineCheckpoint.Save(path, Baseline, Labels, metrics, ProductInfo.Version, epoch);
}
