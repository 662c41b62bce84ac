using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using ClinFuse.Models.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Training.Modeling;

/// <summary>
/// The multimodal CARD baseline in one of its phases. Pre-training: the encoders and the prior f(x)
/// with BCE, validated by the prior's predictions. Main: the denoiser alone (the encoders and the
/// prior stay as pre-trained, as in CARD) on the noise-regression loss; predictions run the reverse
/// process, so validation scores the diffusion model itself.
/// </summary>
internal sealed class CardModel(CardNetwork network, TrainingPhase phase, IReadOnlyList<string> labels)
    : BaselineModel<CardNetwork>(network, phase, labels)
{
    /// <inheritdoc/>
    protected override object Configuration => Baseline.Config;

    /// <summary>Pre-training: every module but the denoiser; main phase: the denoiser.</summary>
    public override IReadOnlyList<Parameter> TrainedParameters => Phase == TrainingPhase.Pretraining
        ? Baseline.named_children().Where(c => c.name != "denoiser").SelectMany(c => c.module.parameters()).ToList()
        : ParametersOf(Baseline.Denoiser);

    /// <inheritdoc/>
    public override Tensor TrainingLoss(FusionBatch batch, Generator generator) => Phase == TrainingPhase.Pretraining
        ? Baseline.PriorLoss(batch)
        : Baseline.DiffusionLoss(batch, generator);

    /// <inheritdoc/>
    public override FusionOutput Predict(FusionBatch batch, Generator generator) => Phase == TrainingPhase.Pretraining
        ? Baseline.PriorOutput(batch)
        : Baseline.PredictOutput(batch, generator);

    /// <inheritdoc/>
    public override void Save(string path, int epoch, IReadOnlyDictionary<string, double> metrics) =>
        BaselineCheckpoint.Save(path, Baseline, Labels, metrics, ProductInfo.Version, epoch);
}
