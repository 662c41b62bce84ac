using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Recipes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Training.Modeling;

/// <summary>
/// A <see cref="FusionNetwork"/> (fusion heads and the unimodal encoders) with its <see cref="FusionLoss"/>:
/// the loss's learned log-variances are trained in their own Adam group and saved in the checkpoint.
/// </summary>
public sealed class FusionModel : TrainableModel
{
    readonly IReadOnlyList<string> labels;
    readonly JsonObject? normalizer;
    readonly bool linearProbe;
    readonly int frozenEncoderEpochs;

    /// <summary>
    /// Wraps a network and its criterion; checkpoints record <paramref name="labels"/> and <paramref name="normalizer"/>.
    /// With <paramref name="linearProbe"/> (UniCxr only) the ResNet is frozen: no gradient, batch norm in eval mode.
    /// For the first <paramref name="frozenEncoderEpochs"/> epochs of a fusion head both encoders are frozen
    /// the same way and only the fusion layers train.
    /// </summary>
    public FusionModel(FusionNetwork network, FusionLoss loss, IReadOnlyList<string> labels, JsonObject? normalizer, bool linearProbe = false, int frozenEncoderEpochs = 0)
    {
        if (linearProbe && network.Config.Fusion != ModelKind.UniCxr)
            throw new ArgumentException("A linear probe trains the CXR encoder's head alone.", nameof(linearProbe));
        if (frozenEncoderEpochs > 0 && !network.Config.Fusion.IsFusionHead())
            throw new ArgumentException("Only a fusion head trains on frozen encoders.", nameof(frozenEncoderEpochs));
        FusionNetwork = network;
        Loss = loss;
        this.labels = labels;
        this.normalizer = normalizer;
        this.linearProbe = linearProbe;
        this.frozenEncoderEpochs = frozenEncoderEpochs;
        if (linearProbe)
            foreach (var parameter in network.CxrModel.VisionBackbone.parameters()) parameter.requires_grad = false;
    }

    /// <summary>The network.</summary>
    public FusionNetwork FusionNetwork { get; }

    /// <summary>The criterion (with the uncertainty loss's log-variances).</summary>
    public FusionLoss Loss { get; }

    /// <inheritdoc/>
    public override nn.Module Network => FusionNetwork;

    /// <inheritdoc/>
    protected override IEnumerable<nn.Module> Modules => [FusionNetwork, Loss];

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> TrainedParameters => ParametersOf(TrainedModules(), Loss);

    /// <inheritdoc/>
    public override JsonNode Architecture => JsonNode.Parse(JsonSerializer.Serialize(FusionNetwork.Config, TrainingConfig.Json))!;

    /// <inheritdoc/>
    public override optim.Optimizer CreateOptimizer(AdamSettings settings) => OptimizerFactory.Adam(TrainedModules(), Loss, settings);

    /// <inheritdoc/>
    public override void TrainMode(int epoch)
    {
        FusionNetwork.train();
        if (linearProbe) FusionNetwork.CxrModel.VisionBackbone.eval();
        if (frozenEncoderEpochs == 0) return;
        // Adam skips a parameter without a gradient, so a frozen encoder keeps its weights and its
        // optimiser moments stay empty until it thaws.
        bool frozen = epoch <= frozenEncoderEpochs;
        foreach (var encoder in new nn.Module[] { FusionNetwork.EhrModel, FusionNetwork.CxrModel })
        {
            foreach (var parameter in encoder.parameters()) parameter.requires_grad = !frozen;
            if (frozen) encoder.eval();
        }
    }

    /// <inheritdoc/>
    public override Tensor TrainingLoss(FusionBatch batch, Generator generator) => Loss.Compute(FusionNetwork.call(batch).Probabilities, batch.Labels!).Total;

    /// <inheritdoc/>
    public override FusionOutput Predict(FusionBatch batch, Generator generator) => FusionNetwork.call(batch);

    /// <inheritdoc/>
    public override Tensor CriterionLoss(FusionBatch batch, FusionOutput output, Generator generator) => Loss.Compute(output.Probabilities, batch.Labels!).Total;

    /// <inheritdoc/>
    public override void Save(string path, int epoch, IReadOnlyDictionary<string, double> metrics)
    {
        var all = new Dictionary<string, double>(metrics);
        if (Loss.LogVar is not null)
        {
            var s = Loss.LogVar.detach().data<float>().ToArray();
            for (int k = 0; k < s.Length; k++) all[$"log_var.{labels[k]}"] = s[k];
        }
        Checkpoint.Save(path, FusionNetwork, Loss, new CheckpointInfo(FusionNetwork.Config, Loss.Kind, labels, normalizer, all, ProductInfo.Version, epoch));
    }

    /// <inheritdoc/>
    public override void LoadWeights(string path) => Checkpoint.LoadWeights(path, FusionNetwork, Loss);

    /// <inheritdoc/>
    public override void Dispose()
    {
        Loss.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// The submodules the configured head runs through. The reference optimises every parameter, but
    /// Adam skips parameters without a gradient, so leaving the idle heads out changes no result and
    /// keeps their zero moments out of memory and out of the saved optimizer state.
    /// </summary>
    nn.Module TrainedModules()
    {
        var n = FusionNetwork;
        return n.Config.Fusion switch
        {
            ModelKind.UniEhr => new ModuleView(("ehr_model", n.EhrModel)),
            ModelKind.UniCxr when linearProbe => new ModuleView(("classifier", n.CxrModel.Classifier)),
            ModelKind.UniCxr => new ModuleView(("cxr_model", n.CxrModel)),
            ModelKind.Early => new ModuleView(("ehr_model", n.EhrModel), ("cxr_model", n.CxrModel), ("projection", n.Projection), ("fused_cls", n.FusedCls)),
            ModelKind.MedFuseLstm => new ModuleView(("ehr_model", n.EhrModel), ("cxr_model", n.CxrModel), ("projection", n.Projection),
                ("lstm_fusion_layer", n.LstmFusionLayer), ("lstm_fused_cls", n.LstmFusedCls)),
            _ => new ModuleView(("ehr_model", n.EhrModel), ("cxr_model", n.CxrModel), ("projection", n.Projection),
                ("attn_layer", n.AttnLayer), ("attn_fused_cls", n.AttnFusedCls)),
        };
    }

    /// <summary>A parameter-only view of some submodules of a network (never disposed: it does not own them).</summary>
    sealed class ModuleView : nn.Module
    {
        public ModuleView(params (string Name, nn.Module Module)[] parts) : base(nameof(ModuleView))
        {
            foreach (var (name, module) in parts) register_module(name, module);
        }
    }
}
