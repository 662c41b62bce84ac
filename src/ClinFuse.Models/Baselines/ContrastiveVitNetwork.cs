using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Baselines;

/// <summary>Architecture and objective of the Contrastive + ViT baseline.</summary>
/// <param name="NumClasses">Task labels.</param>
/// <param name="Vit">The image encoder.</param>
/// <param name="EhrInputDim">Features per hour.</param>
/// <param name="EhrHidden">LSTM width (the series feature width).</param>
/// <param name="EhrLayers">Stacked LSTMs.</param>
/// <param name="EhrDropout">Dropout on the series feature.</param>
/// <param name="ProjectionDim">Output width of the projection heads (hidden width = the same).</param>
/// <param name="IntraTemperature">NT-Xent temperature τ of the intra-modality terms (SimCLR's default 0.1).</param>
/// <param name="InterTemperature">Initial CLIP temperature of the inter-modality term (CLIP: 0.07).</param>
/// <param name="LearnableInterTemperature">Whether the CLIP temperature is learned (CLIP) or fixed.</param>
/// <param name="EhrIntraWeight">Weight of the series NT-Xent term.</param>
/// <param name="CxrIntraWeight">Weight of the image NT-Xent term.</param>
/// <param name="InterWeight">Weight of the image–series InfoNCE term.</param>
/// <param name="ImageAugmentation">Image views.</param>
/// <param name="SeriesAugmentation">Series views.</param>
public sealed record ContrastiveVitConfig(
    int NumClasses,
    VitConfig Vit,
    int EhrInputDim = 76,
    int EhrHidden = 256,
    int EhrLayers = 2,
    double EhrDropout = 0.3,
    int ProjectionDim = 128,
    double IntraTemperature = 0.1,
    double InterTemperature = 0.07,
    bool LearnableInterTemperature = true,
    double EhrIntraWeight = 1.0,
    double CxrIntraWeight = 1.0,
    double InterWeight = 1.0,
    ImageAugmentation? ImageAugmentation = null,
    SeriesAugmentation? SeriesAugmentation = null)
{
    /// <summary>The paper's setting: ViT-Base/16 at 224 px and the reference EHR LSTM.</summary>
    public static ContrastiveVitConfig Paper(int numClasses) => new(numClasses, VitConfig.Base16);

    /// <summary>A CPU-sized setting with the small ViT.</summary>
    public static ContrastiveVitConfig Cpu(int numClasses) => new(numClasses, VitConfig.Small);

    /// <summary>Image views (defaults when unset).</summary>
    public ImageAugmentation ImageViews => ImageAugmentation ?? new ImageAugmentation();

    /// <summary>Series views (defaults when unset).</summary>
    public SeriesAugmentation SeriesViews => SeriesAugmentation ?? new SeriesAugmentation();

    /// <summary>Throws a <see cref="Core.ClinFuseException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Vit.Validate();
        Baseline.Require(NumClasses >= 1, $"NumClasses must be at least 1, got {NumClasses}");
        Baseline.Require(EhrInputDim >= 1 && EhrHidden >= 1 && EhrLayers >= 1 && ProjectionDim >= 1, "dimensions must be positive");
        Baseline.Require(EhrDropout is >= 0 and < 1, "EhrDropout must lie in [0, 1)");
        Baseline.Require(IntraTemperature > 0 && InterTemperature > 0, "temperatures must be positive");
        Baseline.Require(EhrIntraWeight >= 0 && CxrIntraWeight >= 0 && InterWeight >= 0, "loss weights must not be negative");
    }
}

/// <summary>The terms of one contrastive pre-training step (each already weighted into <see cref="Total"/>).</summary>
/// <param name="Total">Weighted sum to back-propagate.</param>
/// <param name="EhrIntra">Series NT-Xent, or null when the batch has fewer than two samples.</param>
/// <param name="CxrIntra">Image NT-Xent, or null when fewer than two samples have an image.</param>
/// <param name="Inter">Image–series InfoNCE, or null when fewer than two samples have an image.</param>
public sealed record ContrastiveLossParts(Tensor Total, Tensor? EhrIntra, Tensor? CxrIntra, Tensor? Inter);

/// <summary>
/// The paper's "Contrastive + ViT" baseline: a ViT image encoder (<c>cxr_model</c>) and the reference
/// EHR LSTM (<c>ehr_model</c>), pre-trained with two projection heads — <c>intra_head</c> (per modality,
/// two augmented views agree, NT-Xent) and <c>inter_head</c> (image and series of the same stay align,
/// CLIP's symmetric InfoNCE with temperature <c>logit_scale</c>) — then a linear <c>classifier</c> on the
/// concatenated features fine-tuned with BCE. A sample without an image contributes only to the series
/// term in pre-training and gets a zero image feature in the classifier.
/// </summary>
public sealed class ContrastiveVitNetwork : Module
{
    readonly EhrLstmEncoder ehr_model;
    readonly VisionTransformer cxr_model;
    readonly ModuleDict<Sequential> intra_head, inter_head;
    readonly Parameter logit_scale;
    readonly Linear classifier;

    /// <summary>The configuration it was built with.</summary>
    public ContrastiveVitConfig Config { get; }

    /// <summary>Builds the network (initialisation draws from the global generator: seed it with <c>manual_seed</c>).</summary>
    public ContrastiveVitNetwork(ContrastiveVitConfig config) : base(nameof(ContrastiveVitNetwork))
    {
        config.Validate();
        Config = config;
        ehr_model = new EhrLstmEncoder(config.EhrInputDim, config.EhrHidden, config.EhrLayers, config.EhrDropout, config.NumClasses);
        cxr_model = new VisionTransformer(config.Vit);
        intra_head = new ModuleDict<Sequential>();
        inter_head = new ModuleDict<Sequential>();
        foreach (var head in new[] { intra_head, inter_head })
        {
            head.Add(("ehr", ProjectionHead(config.EhrHidden, config.ProjectionDim)));
            head.Add(("cxr", ProjectionHead(config.Vit.HiddenDim, config.ProjectionDim)));
        }
        logit_scale = new Parameter(tensor((float)Math.Log(1 / config.InterTemperature)), requires_grad: config.LearnableInterTemperature);
        classifier = Linear(config.EhrHidden + config.Vit.HiddenDim, config.NumClasses);
        RegisterComponents();
    }

    /// <summary>SimCLR's projection head: Linear–ReLU–Linear (<c>0</c>, <c>2</c>).</summary>
    static Sequential ProjectionHead(int input, int output) =>
        Sequential(("0", Linear(input, output)), ("1", ReLU()), ("2", Linear(output, output)));

    /// <summary>The EHR encoder.</summary>
    public EhrLstmEncoder EhrModel => ehr_model;

    /// <summary>The ViT image encoder.</summary>
    public VisionTransformer CxrModel => cxr_model;

    /// <summary>log(1/τ) of the inter-modality term.</summary>
    public Parameter LogitScale => logit_scale;

    /// <summary>
    /// One pre-training step: two views of every series and image, the weighted contrastive loss,
    /// backward and <paramref name="optimizer"/> step. The network is put in train mode.
    /// </summary>
    public ContrastiveLossParts PretrainStep(FusionBatch batch, optim.Optimizer optimizer, Generator generator)
    {
        train();
        optimizer.zero_grad();
        var parts = PretrainLoss(batch, generator);
        parts.Total.backward();
        optimizer.step();
        ClampLogitScale();
        return parts;
    }

    /// <summary>CLIP clips the learned scale at ln 100 so that the logits cannot blow up; call after every optimiser step of pre-training.</summary>
    public void ClampLogitScale()
    {
        using (no_grad()) logit_scale.clamp_(max: Math.Log(100));
    }

    /// <summary>The pre-training loss of <paramref name="batch"/> (no step), views drawn from <paramref name="generator"/>.</summary>
    public ContrastiveLossParts PretrainLoss(FusionBatch batch, Generator generator)
    {
        batch.Validate(Config.EhrInputDim);
        var seriesViews = Config.SeriesViews;
        var ehr1 = ehr_model.Encode(seriesViews.Apply(batch.Ehr, batch.Lengths, generator), batch.Lengths);
        var ehr2 = ehr_model.Encode(seriesViews.Apply(batch.Ehr, batch.Lengths, generator), batch.Lengths);
        Tensor? ehrIntra = null, cxrIntra = null, inter = null;
        var total = zeros(1, device: batch.Ehr.device).squeeze();
        if (batch.Size >= 2)
        {
            ehrIntra = ContrastiveLosses.NtXent(intra_head["ehr"].call(ehr1), intra_head["ehr"].call(ehr2), Config.IntraTemperature);
            total += Config.EhrIntraWeight * ehrIntra;
        }
        if (batch.ImageCount >= 2)
        {
            var imageViews = Config.ImageViews;
            var images = batch.Images!;
            var cxr1 = cxr_model.call(imageViews.Apply(images, generator));
            var cxr2 = cxr_model.call(imageViews.Apply(images, generator));
            cxrIntra = ContrastiveLosses.NtXent(intra_head["cxr"].call(cxr1), intra_head["cxr"].call(cxr2), Config.IntraTemperature);
            // Alignment pairs the first view of each image with the first view of its own stay's series.
            var paired = ehr1.index_select(0, batch.HasImage.nonzero().squeeze(1));
            inter = ContrastiveLosses.SymmetricInfoNce(inter_head["cxr"].call(cxr1), inter_head["ehr"].call(paired), logit_scale);
            total += Config.CxrIntraWeight * cxrIntra + Config.InterWeight * inter;
        }
        return new ContrastiveLossParts(total, ehrIntra, cxrIntra, inter);
    }

    /// <summary>Logits, probabilities and both features of the classifier on [series feature ‖ image feature].</summary>
    public FusionOutput Forward(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        var ehr = ehr_model.Encode(batch.Ehr, batch.Lengths);
        var cxr = Baseline.ScatterImageFeatures(Baseline.EncodeImages(cxr_model, batch), batch.HasImage, Config.Vit.HiddenDim);
        var logits = classifier.call(cat([ehr, cxr], 1));
        return new FusionOutput(logits, logits.sigmoid(), ehr, cxr, []);
    }

    /// <summary>
    /// One fine-tuning step (train mode): the loss of the classifier's probabilities — BCE, or
    /// <paramref name="loss"/> (e.g. the uncertainty-weighted BCE) when given — backward, step. Returns the loss.
    /// </summary>
    public Tensor FinetuneStep(FusionBatch batch, optim.Optimizer optimizer, FusionLoss? loss = null)
    {
        var labels = Baseline.RequireLabels(batch, Config.NumClasses, "Fine-tuning");
        train();
        optimizer.zero_grad();
        var probabilities = Forward(batch).Probabilities;
        var value = loss is null ? functional.binary_cross_entropy(probabilities, labels) : loss.Compute(probabilities, labels).Total;
        value.backward();
        optimizer.step();
        return value;
    }

    /// <summary>Eval-mode prediction without gradients.</summary>
    public FusionOutput Predict(FusionBatch batch)
    {
        eval();
        using var _ = no_grad();
        return Forward(batch);
    }
}
