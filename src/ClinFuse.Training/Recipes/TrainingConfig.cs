using System.Text.Json;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Recipes;

/// <summary>The validation metric that selects the best epoch and drives early stopping.</summary>
public enum MonitorMetric
{
    /// <summary>Macro AUROC (the reference's choice).</summary>
    Auroc,
    /// <summary>Macro average precision.</summary>
    Auprc,
    /// <summary>The validation loss (lower is better): for phases without a classifier to score, such as contrastive pre-training.</summary>
    Loss,
}

/// <summary>Size of a paper baseline's networks.</summary>
public enum BaselineSize
{
    /// <summary>Sizes for a CPU: the small ViT; CARD with T = 100 steps, 10 samples and a 128-wide denoiser.</summary>
    Cpu,
    /// <summary>The papers' sizes: ViT-Base/16; CARD with T = 1000 steps, 100 samples and a 512-wide denoiser.</summary>
    Paper,
}

/// <summary>
/// Settings of the two paper baselines (<see cref="ModelKind.ContrastiveVit"/>, <see cref="ModelKind.Card"/>),
/// which train in two phases: a pre-training phase (contrastive pre-training; CARD's prior f(x)) for
/// <see cref="PretrainEpochs"/> epochs, then the main phase (the classifier; CARD's diffusion) for the
/// configuration's <c>Epochs</c>. Ignored by the other models.
/// </summary>
public sealed record BaselineSettings
{
    /// <summary>Network sizes.</summary>
    public BaselineSize Size { get; init; } = BaselineSize.Cpu;
    /// <summary>Epochs of the pre-training phase.</summary>
    public int PretrainEpochs { get; init; } = 10;
    /// <summary>CARD's diffusion steps T; null = the size's default.</summary>
    public int? DiffusionSteps { get; init; }
    /// <summary>CARD's reverse-process samples per prediction; null = the size's default.</summary>
    public int? Samples { get; init; }
    /// <summary>NT-Xent temperature of the contrastive intra-modality terms.</summary>
    public double IntraTemperature { get; init; } = 0.1;
}

/// <summary>Settings of the peer models (<see cref="ModelKind.Mmtm"/>, <see cref="ModelKind.Daft"/>, <see cref="ModelKind.Tokens"/>, <see cref="ModelKind.Late"/>, <see cref="ModelKind.DrFuse"/>); ignored by the other models.</summary>
public sealed record PeerSettings
{
    /// <summary>
    /// MMTM and DAFT: the ResNet stage after which the block runs (0 = stem, 1–4, −1 = every stage);
    /// null = the reference scripts' choice: 4, except DAFT on a multi-label task (phenotyping), 3.
    /// </summary>
    public int? LayerAfter { get; init; }
    /// <summary>MMTM bottleneck ratio.</summary>
    public int MmtmRatio { get; init; } = 4;
    /// <summary>Tokens: which head predicts.</summary>
    public TokenHead TokenHead { get; init; } = TokenHead.Joint;
    /// <summary>DrFuse: attention heads of its EHR Transformer (the reference's default 4; its width is <c>Architecture.EhrHidden</c>).</summary>
    public int DrFuseHeads { get; init; } = 4;
    /// <summary>DrFuse: layers of its shared and of its distinct EHR Transformer (the reference's default 1).</summary>
    public int DrFuseLayers { get; init; } = 1;
}

/// <summary>Network sizes (defaults are the paper's); the task decides the number of outputs.</summary>
public sealed record ArchitectureSettings
{
    /// <summary>LSTM width and fusion token width.</summary>
    public int EhrHidden { get; init; } = 256;
    /// <summary>Stacked LSTMs.</summary>
    public int EhrLayers { get; init; } = 2;
    /// <summary>Dropout on the EHR feature.</summary>
    public double EhrDropout { get; init; } = 0.3;
    /// <summary>Transformer encoder layers.</summary>
    public int TransformerLayers { get; init; } = 2;
    /// <summary>Attention heads.</summary>
    public int TransformerHeads { get; init; } = 8;
    /// <summary>Transformer feed-forward width.</summary>
    public int TransformerFeedForward { get; init; } = 1024;
    /// <summary>Dropout inside the Transformer layers.</summary>
    public double TransformerDropout { get; init; } = 0.1;
    /// <summary>MedFuse fusion-LSTM width.</summary>
    public int FusionLstmHidden { get; init; } = 512;
    /// <summary>Outputs of the CXR encoder's own head; null = the task's label count.</summary>
    public int? VisionNumClasses { get; init; }
    /// <summary>
    /// Fusion heads: add the EHR encoder's own head's logits to the fusion head's, whose layer starts at
    /// zero, so fine-tuning starts from the pre-trained series model's predictions (<see cref="ModelConfig.SeriesResidual"/>).
    /// </summary>
    public bool SeriesResidual { get; init; }
}

/// <summary>
/// Everything that decides a training run apart from the data and the seed. Written to the run
/// folder as <c>config.json</c>; read from a JSON file with the same property names.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>Name of the preset this configuration started from ("custom" if none).</summary>
    public string Recipe { get; init; } = "custom";
    /// <summary>Which head produces the prediction.</summary>
    public ModelKind Model { get; init; } = ModelKind.Attention;
    /// <summary>Training loss.</summary>
    public LossKind Loss { get; init; } = LossKind.Bce;
    /// <summary>Missing-image handling.</summary>
    public MissingImageMode MissingImage { get; init; } = MissingImageMode.Masked;
    /// <summary>Training samples.</summary>
    public DatasetMode TrainData { get; init; } = DatasetMode.Partial;
    /// <summary>
    /// Validate on the paired stays only, as the reference does in partial mode (its validation ratio
    /// is 0); by default validation uses the same mode as training.
    /// </summary>
    public bool ValidateOnPairedOnly { get; init; }
    /// <summary>
    /// Train only the CXR encoder's linear head on its frozen feature extractor (batch-norm statistics
    /// included): a linear probe of a transferred encoder (UniCxr only).
    /// </summary>
    public bool LinearProbe { get; init; }
    /// <summary>
    /// Epochs at the start of a fusion fine-tuning in which the transferred encoders are frozen (no
    /// gradient; eval mode, so no dropout and fixed batch-norm statistics) and only the new fusion layers
    /// train; the whole network trains from the next epoch on. This is linear probing then fine-tuning
    /// (LP-FT, Kumar et al., ICLR 2022): the randomly initialised fusion head first learns on the
    /// pre-trained features instead of pulling them away with its early, large gradients. 0 = none (the
    /// reference trains end to end from the first step).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int FrozenEncoderEpochs { get; init; }
    /// <summary>Network learning rate.</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Learning rate of the uncertainty log-variances.</summary>
    public double LossLearningRate { get; init; } = 7e-4;
    /// <summary>Epochs (the MedFuse order trains one fewer).</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Stop after this many epochs without a better validation score.</summary>
    public int Patience { get; init; } = 15;
    /// <summary>Model-selection metric.</summary>
    public MonitorMetric Monitor { get; init; } = MonitorMetric.Auroc;
    /// <summary>Reference behaviours to reproduce.</summary>
    public CompatMode Compat { get; init; } = CompatMode.None;
    /// <summary>Clip the global gradient norm to this value; null = no clipping (reference).</summary>
    public double? GradientClipNorm { get; init; }
    /// <summary>ReduceLROnPlateau factor on the validation loss.</summary>
    public double PlateauFactor { get; init; } = 0.5;
    /// <summary>ReduceLROnPlateau patience in epochs.</summary>
    public int PlateauPatience { get; init; } = 10;
    /// <summary>
    /// How training batches are formed; null = length-bucketed, or the reference's uniform shuffle
    /// under <see cref="CompatMode.MedFuse"/> (see <see cref="TrainingBatchOrder"/>).
    /// </summary>
    public BatchOrder? Batching { get; init; }
    /// <summary>Batches built ahead of the model on background threads.</summary>
    public int PrefetchDepth { get; init; } = 2;
    /// <summary>Network sizes.</summary>
    public ArchitectureSettings Architecture { get; init; } = new();
    /// <summary>Settings of the Contrastive + ViT and CARD baselines.</summary>
    public BaselineSettings Baseline { get; init; } = new();
    /// <summary>Settings of the peer models (MMTM, DAFT, tokens, late fusion).</summary>
    public PeerSettings Peer { get; init; } = new();

    /// <summary>Whether the model is one of the peer models of <see cref="ClinFuse.Models.Peers"/> (MMTM, DAFT, tokens, late fusion, DrFuse).</summary>
    public bool IsPeer => Model is ModelKind.Mmtm or ModelKind.Daft or ModelKind.Tokens or ModelKind.Late or ModelKind.DrFuse;

    /// <summary>Whether the model is one of the paper baselines (two training phases, their own checkpoints).</summary>
    public bool IsBaseline => Model is ModelKind.ContrastiveVit or ModelKind.Card;

    /// <summary>JSON form used by config files and run folders (enum names as strings, unknown properties rejected).</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };

    /// <summary>Training epochs actually run (epochs − 1 in the MedFuse order).</summary>
    public int TrainingIterations => Compat == CompatMode.MedFuse ? Epochs - 1 : Epochs;

    /// <summary>The batch order training uses: <see cref="Batching"/> when set, else length-bucketed (the reference's shuffle in MedFuse compat mode).</summary>
    public BatchOrder TrainingBatchOrder => Batching ?? (Compat == CompatMode.MedFuse ? BatchOrder.Shuffled : BatchOrder.LengthBucketed);

    /// <summary>Whether the model reads chest X-rays at all.</summary>
    public bool UsesImages => Model != ModelKind.UniEhr && TrainData is DatasetMode.Paired or DatasetMode.Partial;

    /// <summary>The validation samples' mode.</summary>
    public DatasetMode ValidationData => ValidateOnPairedOnly && TrainData == DatasetMode.Partial ? DatasetMode.Paired
        : ValidateOnPairedOnly && TrainData == DatasetMode.PartialEhrOnly ? DatasetMode.PairedEhrOnly
        : TrainData;

    /// <summary>Adam settings: the reference's β2 = 0.9 only in MedFuse compat mode.</summary>
    public AdamSettings Adam => (Compat == CompatMode.MedFuse ? AdamSettings.Reference(LearningRate) : AdamSettings.Default(LearningRate))
        with { LossLearningRate = LossLearningRate };

    /// <summary>The network configuration for a task with <paramref name="labels"/> outputs and <paramref name="features"/> inputs per hour.</summary>
    public ModelConfig ToModelConfig(int labels, int features)
    {
        var a = Architecture;
        var config = new ModelConfig(Model, labels, a.VisionNumClasses ?? labels, MissingImage, features, a.EhrHidden, a.EhrLayers, a.EhrDropout,
            a.TransformerLayers, a.TransformerHeads, a.TransformerFeedForward, a.TransformerDropout, a.FusionLstmHidden,
            // Only the modules the model runs (an EHR-only run carries no ResNet); compat keeps the reference container.
            OnlyUsedModules: Compat != CompatMode.MedFuse, SeriesResidual: a.SeriesResidual);
        config.Validate();
        return config;
    }

    /// <summary>
    /// The peer network configuration for a task with <paramref name="labels"/> outputs and
    /// <paramref name="features"/> inputs per hour; the MedFuse compat mode squeezes the EHR sequence
    /// over time with its padding, as the reference does.
    /// </summary>
    public PeerConfig ToPeerConfig(int labels, int features)
    {
        var a = Architecture;
        var kind = Model switch
        {
            ModelKind.Mmtm => PeerKind.Mmtm,
            ModelKind.Daft => PeerKind.Daft,
            ModelKind.Tokens => PeerKind.Tokens,
            ModelKind.Late => PeerKind.Late,
            ModelKind.DrFuse => PeerKind.DrFuse,
            _ => throw new InvalidOperationException($"{Model} is not a peer model."),
        };
        var config = new PeerConfig(kind, labels, MissingImage, features, a.EhrHidden, a.EhrLayers, a.EhrDropout,
            LayerAfter: Peer.LayerAfter ?? (kind == PeerKind.Daft && labels > 1 ? 3 : 4),
            MmtmRatio: Peer.MmtmRatio,
            Squeeze: Compat == CompatMode.MedFuse ? TimeSqueeze.IncludingPadding : TimeSqueeze.ValidSteps,
            TokenHead: Peer.TokenHead,
            FusionLstmHidden: a.FusionLstmHidden,
            EhrHeads: Peer.DrFuseHeads,
            EhrTransformerLayers: Peer.DrFuseLayers);
        config.Validate();
        return config;
    }

    /// <summary>Throws a <see cref="ClinFuseException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string what, string option)
        {
            if (!ok) throw new ClinFuseException($"Invalid training configuration: {what}.", $"Fix {option} in the config file or on the command line.");
        }
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"learning rate must be a positive number, got {LearningRate}", "LearningRate (--lr)");
        Require(LossLearningRate > 0 && double.IsFinite(LossLearningRate), $"loss learning rate must be positive, got {LossLearningRate}", "LossLearningRate");
        Require(Epochs >= (Compat == CompatMode.MedFuse ? 2 : 1), $"epochs must be at least {(Compat == CompatMode.MedFuse ? 2 : 1)} (the MedFuse order trains epochs − 1), got {Epochs}", "Epochs (--epochs)");
        Require(BatchSize >= 1, $"batch size must be at least 1, got {BatchSize}", "BatchSize (--batch-size)");
        Require(Patience >= 1, $"patience must be at least 1, got {Patience}", "Patience (--patience)");
        Require(PlateauFactor is > 0 and < 1, $"plateau factor must lie in (0, 1), got {PlateauFactor}", "PlateauFactor");
        Require(PlateauPatience >= 0, $"plateau patience must not be negative, got {PlateauPatience}", "PlateauPatience");
        Require(PrefetchDepth >= 1, $"prefetch depth must be at least 1, got {PrefetchDepth}", "PrefetchDepth");
        Require(GradientClipNorm is null || GradientClipNorm > 0, $"gradient clip norm must be positive, got {GradientClipNorm}", "GradientClipNorm");
        Require(!IsBaseline || Compat == CompatMode.None, $"the {Model} baseline has no MedFuse-compatible form", "Compat (--compat)");
        Require(!IsBaseline || Loss == LossKind.Bce, $"the {Model} baseline trains with its own objectives (BCE for its classifier), not the {Loss} loss", "Loss (--loss bce)");
        Require(!IsBaseline || Baseline.PretrainEpochs >= 1, $"the baseline's pre-training epochs must be at least 1, got {Baseline.PretrainEpochs}", "Baseline.PretrainEpochs (--pretrain-epochs)");
        Require(Baseline.DiffusionSteps is null or >= 2, $"CARD needs at least 2 diffusion steps, got {Baseline.DiffusionSteps}", "Baseline.DiffusionSteps");
        Require(Baseline.Samples is null or >= 1, $"CARD needs at least 1 sample per prediction, got {Baseline.Samples}", "Baseline.Samples");
        Require(Baseline.IntraTemperature > 0, $"the contrastive temperature must be positive, got {Baseline.IntraTemperature}", "Baseline.IntraTemperature");
        Require(Model != ModelKind.Late || Loss == LossKind.Bce, $"late fusion trains its two unimodal heads with BCE and averages them, so it takes no {Loss} loss", "Loss (--loss bce)");
        Require(FrozenEncoderEpochs >= 0, $"frozen encoder epochs must not be negative, got {FrozenEncoderEpochs}", "FrozenEncoderEpochs (--frozen-encoder-epochs)");
        Require(FrozenEncoderEpochs == 0 || Model.IsFusionHead(),
            $"frozen encoder epochs apply to the fusion heads (attention, medfuse, early) started from pre-trained encoders, not to {Model}", "FrozenEncoderEpochs (--frozen-encoder-epochs)");
        Require(!Architecture.SeriesResidual || Model.IsFusionHead(),
            $"the series residual adds the EHR encoder's head to a fusion head (attention, medfuse, early), not to {Model}", "Architecture.SeriesResidual (--series-residual)");
        Require(!LinearProbe || Model == ModelKind.UniCxr, $"a linear probe trains the CXR encoder's head alone, so it applies to the CXR pre-training only, not to {Model}", "LinearProbe (--linear-probe)");
        Require(Peer.LayerAfter is null or (>= -1 and <= 4), $"the layer after which the MMTM/DAFT block runs must be −1 (every stage) or 0–4, got {Peer.LayerAfter}", "Peer.LayerAfter (--layer-after)");
        Require(Model != ModelKind.DrFuse || Compat == CompatMode.None, "DrFuse has no MedFuse-compatible form (its reference trainer is its own)", "Compat (--compat)");
        Require(Model != ModelKind.DrFuse || (Peer.DrFuseHeads >= 1 && Architecture.EhrHidden % Peer.DrFuseHeads == 0),
            $"DrFuse's EHR width {Architecture.EhrHidden} must be a multiple of its attention heads ({Peer.DrFuseHeads})", "Peer.DrFuseHeads or Architecture.EhrHidden");
        Require(Peer.DrFuseLayers >= 1, $"DrFuse's EHR Transformer needs at least 1 layer, got {Peer.DrFuseLayers}", "Peer.DrFuseLayers");
        Require(Peer.MmtmRatio >= 1, $"the MMTM ratio must be at least 1, got {Peer.MmtmRatio}", "Peer.MmtmRatio");
        Require(Model is not (ModelKind.Mmtm or ModelKind.Daft) || Architecture.EhrLayers >= 2, $"{Model} exchanges between the first and second EHR LSTM and needs at least 2 EHR layers, got {Architecture.EhrLayers}", "Architecture.EhrLayers");
        Require(Model != ModelKind.UniCxr || TrainData == DatasetMode.Paired, $"the CXR-only model needs the Paired dataset mode, not {TrainData}", "TrainData");
        Require(Model is ModelKind.UniEhr or ModelKind.UniCxr || TrainData is DatasetMode.Paired or DatasetMode.Partial,
            $"the {Model} fusion needs images, but {TrainData} gives none", "TrainData");
    }

    /// <summary>Reads a configuration file; unknown properties and bad values are reported with the file's name.</summary>
    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ClinFuseException($"Training configuration not found: {path}", "Check the --config path.");
        try
        {
            return JsonSerializer.Deserialize<TrainingConfig>(File.ReadAllText(path), Json)
                   ?? throw new JsonException("the document is empty (null)");
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{path} is not a valid training configuration: {e.Message}", "Property names are those of docs/training.md; enum values are names such as \"Attention\" or \"Partial\".");
        }
    }

    /// <summary>The JSON text of this configuration.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
