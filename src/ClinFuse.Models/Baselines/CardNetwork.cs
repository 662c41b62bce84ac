using ClinFuse.Core;
using ClinFuse.Models.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Baselines;

/// <summary>Architecture, diffusion schedule and sampling of the multimodal CARD baseline.</summary>
/// <param name="NumClasses">Task labels L (each a binary target; y₀ ∈ {0,1}^L).</param>
/// <param name="ImageEncoder">Which network encodes the image.</param>
/// <param name="Vit">The ViT's shape when <paramref name="ImageEncoder"/> is <see cref="ImageEncoderKind.Vit"/>.</param>
/// <param name="EhrInputDim">Features per hour.</param>
/// <param name="EhrHidden">LSTM width.</param>
/// <param name="EhrLayers">Stacked LSTMs.</param>
/// <param name="EhrDropout">Dropout on the series feature.</param>
/// <param name="PriorHidden">Hidden width of the prior f(x) on the fused embedding.</param>
/// <param name="FeatureDim">Width of CARD's conditional denoiser (its <c>feature_dim</c>).</param>
/// <param name="Steps">Diffusion steps T (CARD: 1000).</param>
/// <param name="BetaStart">First β (CARD: 1e−4).</param>
/// <param name="BetaEnd">Last β (CARD: 0.02).</param>
/// <param name="Samples">Reverse-process samples averaged per prediction (CARD's test default: 100).</param>
public sealed record CardConfig(
    int NumClasses,
    ImageEncoderKind ImageEncoder = ImageEncoderKind.ResNet34,
    VitConfig? Vit = null,
    int EhrInputDim = 76,
    int EhrHidden = 256,
    int EhrLayers = 2,
    double EhrDropout = 0.3,
    int PriorHidden = 256,
    int FeatureDim = 512,
    int Steps = 1000,
    double BetaStart = 1e-4,
    double BetaEnd = 0.02,
    int Samples = 100)
{
    /// <summary>CARD's defaults on the reference encoders (ResNet-34 + EHR LSTM).</summary>
    public static CardConfig Paper(int numClasses) => new(numClasses);

    /// <summary>A CPU preset: T = 100 steps and 10 samples per prediction.</summary>
    public static CardConfig Cpu(int numClasses) => new(numClasses, FeatureDim: 128, Steps: 100, Samples: 10);

    /// <summary>Width of the image feature.</summary>
    public int ImageFeatureDim => ImageEncoder == ImageEncoderKind.Vit ? Vit!.HiddenDim : ResNet34Backbone.FeatureDim;

    /// <summary>Width of the fused embedding [series ‖ image].</summary>
    public int EmbeddingDim => EhrHidden + ImageFeatureDim;

    /// <summary>Throws a <see cref="ClinFuseException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Baseline.Require(NumClasses >= 1, $"NumClasses must be at least 1, got {NumClasses}");
        Baseline.Require(ImageEncoder != ImageEncoderKind.Vit || Vit is not null, "a ViT image encoder needs its Vit settings");
        Vit?.Validate();
        Baseline.Require(EhrInputDim >= 1 && EhrHidden >= 1 && EhrLayers >= 1 && PriorHidden >= 1 && FeatureDim >= 1, "dimensions must be positive");
        Baseline.Require(EhrDropout is >= 0 and < 1, "EhrDropout must lie in [0, 1)");
        Baseline.Require(Samples >= 1, $"Samples must be at least 1, got {Samples}");
        Baseline.Require(Steps >= 2, $"Steps must be at least 2, got {Steps}");
    }
}

/// <summary>CARD's <c>ConditionalLinear</c>: a Linear whose output is gated per unit by a learned embedding of the step t.</summary>
internal sealed class ConditionalLinear : Module<Tensor, Tensor, Tensor>
{
    readonly Linear lin;
    readonly Embedding embed;

    /// <summary>Creates the layer for steps 0 … <paramref name="steps"/> − 1 (embedding initialised U(0, 1) as in CARD).</summary>
    public ConditionalLinear(int input, int output, int steps) : base(nameof(ConditionalLinear))
    {
        lin = Linear(input, output);
        embed = Embedding(steps, output);
        init.uniform_(embed.weight);
        RegisterComponents();
    }

    /// <summary>γ(t) ⊙ (W x + b) for x [B, in] and t [B] int64.</summary>
    public override Tensor forward(Tensor x, Tensor t) => embed.call(t) * lin.call(x);
}

/// <summary>
/// CARD's conditional noise model ε_θ(x, y_t, f(x), t) for classification: the embedding of x through
/// <c>encoder_x</c> and BatchNorm <c>norm</c>; [y_t ‖ f(x)] through <c>lin1</c> (time-gated), BatchNorm,
/// softplus, multiplied by the x feature; two more time-gated blocks; <c>lin4</c> to L outputs.
/// </summary>
public sealed class CardDenoiser : Module
{
    readonly Linear encoder_x, lin4;
    readonly BatchNormLayer norm, unetnorm1, unetnorm2, unetnorm3;
    readonly ConditionalLinear lin1, lin2, lin3;

    /// <summary>Creates the model for an embedding of <paramref name="embeddingDim"/> and L = <paramref name="labels"/>.</summary>
    public CardDenoiser(int embeddingDim, int labels, int featureDim, int steps) : base(nameof(CardDenoiser))
    {
        encoder_x = Linear(embeddingDim, featureDim);
        norm = BatchNormLayer.Over1d(featureDim);
        // CARD sizes the time embedding for T + 1 steps.
        lin1 = new ConditionalLinear(2 * labels, featureDim, steps + 1);
        unetnorm1 = BatchNormLayer.Over1d(featureDim);
        lin2 = new ConditionalLinear(featureDim, featureDim, steps + 1);
        unetnorm2 = BatchNormLayer.Over1d(featureDim);
        lin3 = new ConditionalLinear(featureDim, featureDim, steps + 1);
        unetnorm3 = BatchNormLayer.Over1d(featureDim);
        lin4 = Linear(featureDim, labels);
        RegisterComponents();
    }

    /// <summary>Predicted noise [B, L] for embedding [B, E], y_t [B, L], prior f(x) [B, L] and steps t [B].</summary>
    public Tensor Forward(Tensor embedding, Tensor yt, Tensor prior, Tensor t)
    {
        var x = norm.call(encoder_x.call(embedding));
        var y = functional.softplus(unetnorm1.call(lin1.call(cat([yt, prior], 1), t)));
        y = x * y;
        y = functional.softplus(unetnorm2.call(lin2.call(y, t)));
        y = functional.softplus(unetnorm3.call(lin3.call(y, t)));
        return lin4.call(y);
    }
}

/// <summary>What CARD predicted.</summary>
/// <param name="Probabilities">[B, L] mean over the samples of ŷ₀ clipped to [0, 1].</param>
/// <param name="PriorProbabilities">[B, L] the prior f(x).</param>
/// <param name="SampleStd">[B, L] spread of the clipped samples (CARD's per-sample uncertainty).</param>
public sealed record CardPrediction(Tensor Probabilities, Tensor PriorProbabilities, Tensor SampleStd);

/// <summary>
/// The multimodal CARD baseline (Han et al. 2022) on the reference encoders: <c>ehr_model</c> and
/// <c>cxr_model</c> embed the stay, the <c>prior</c> MLP on [series ‖ image] gives f(x) (sigmoid per
/// label, pre-trained with BCE), and the <c>denoiser</c> learns the noise of the forward process from
/// y₀ toward f(x). Labels are diffused as one vector y₀ ∈ {0,1}^L; predictions average the clipped
/// reverse-process end points. A sample without an image has a zero image embedding.
/// </summary>
public sealed class CardNetwork : Module
{
    readonly EhrLstmEncoder ehr_model;
    readonly Module<Tensor, Tensor> cxr_model;
    readonly Sequential prior;
    readonly CardDenoiser denoiser;

    /// <summary>The configuration it was built with.</summary>
    public CardConfig Config { get; }

    /// <summary>The diffusion schedule.</summary>
    public CardSchedule Schedule { get; }

    /// <summary>Builds the network (initialisation draws from the global generator: seed it with <c>manual_seed</c>).</summary>
    public CardNetwork(CardConfig config) : base(nameof(CardNetwork))
    {
        config.Validate();
        Config = config;
        Schedule = new CardSchedule(config.Steps, config.BetaStart, config.BetaEnd);
        ehr_model = new EhrLstmEncoder(config.EhrInputDim, config.EhrHidden, config.EhrLayers, config.EhrDropout, config.NumClasses);
        cxr_model = config.ImageEncoder == ImageEncoderKind.Vit ? new VisionTransformer(config.Vit!) : new CxrEncoder(config.NumClasses);
        prior = Sequential(("0", Linear(config.EmbeddingDim, config.PriorHidden)), ("1", ReLU()), ("2", Linear(config.PriorHidden, config.NumClasses)));
        denoiser = new CardDenoiser(config.EmbeddingDim, config.NumClasses, config.FeatureDim, config.Steps);
        RegisterComponents();
    }

    /// <summary>The noise model.</summary>
    public CardDenoiser Denoiser => denoiser;

    /// <summary>The fused embedding [B, series ‖ image] of the batch.</summary>
    public Tensor Embed(FusionBatch batch)
    {
        batch.Validate(Config.EhrInputDim);
        var ehr = ehr_model.Encode(batch.Ehr, batch.Lengths);
        var cxr = Baseline.ScatterImageFeatures(Baseline.EncodeImages(cxr_model, batch), batch.HasImage, Config.ImageFeatureDim);
        return cat([ehr, cxr], 1);
    }

    /// <summary>Prior probabilities f(x) [B, L] from an embedding.</summary>
    public Tensor Prior(Tensor embedding) => prior.call(embedding).sigmoid();

    /// <summary>One prior pre-training step (train mode): BCE of f(x) against the labels, backward, step. Returns the loss.</summary>
    public Tensor PretrainPriorStep(FusionBatch batch, optim.Optimizer optimizer)
    {
        train();
        optimizer.zero_grad();
        var loss = PriorLoss(batch);
        loss.backward();
        optimizer.step();
        return loss;
    }

    /// <summary>BCE of f(x) against the batch's labels (in the current mode, with gradients).</summary>
    public Tensor PriorLoss(FusionBatch batch)
    {
        var labels = Baseline.RequireLabels(batch, Config.NumClasses, "CARD training");
        return functional.binary_cross_entropy(Prior(Embed(batch)), labels);
    }

    /// <summary>The prior f(x) alone as a <see cref="FusionOutput"/> (in the current mode): what the guidance classifier predicts.</summary>
    public FusionOutput PriorOutput(FusionBatch batch)
    {
        var embedding = Embed(batch);
        var logits = prior.call(embedding);
        return new FusionOutput(logits, logits.sigmoid(), null, null, []);
    }

    /// <summary>One diffusion step: <see cref="DiffusionLoss"/>, backward and <paramref name="optimizer"/> step. Returns the loss.</summary>
    public Tensor DiffusionStep(FusionBatch batch, optim.Optimizer optimizer, Generator generator)
    {
        optimizer.zero_grad();
        var loss = DiffusionLoss(batch, generator);
        loss.backward();
        optimizer.step();
        return loss;
    }

    /// <summary>
    /// CARD's training objective: the encoders and prior give the embedding and f(x) in eval mode without
    /// gradients (CARD keeps its pre-trained guidance model fixed), t is drawn antithetically (t and
    /// T−1−t), y_t from the forward process, and the denoiser (train mode) regresses the injected noise (MSE).
    /// </summary>
    public Tensor DiffusionLoss(FusionBatch batch, Generator generator)
    {
        var labels = Baseline.RequireLabels(batch, Config.NumClasses, "CARD training");
        var (embedding, fx) = Condition(batch);
        long b = batch.Size;
        var half = randint(0, Config.Steps, [b / 2 + 1], generator: generator);
        var t = cat([half, Config.Steps - 1 - half])[..(int)b].to(embedding.device);
        var noise = randn(labels.shape, generator: generator).to(embedding.device);
        var yt = Schedule.QSample(labels, fx, t, noise);
        train();
        return (noise - denoiser.Forward(embedding, yt, fx, t)).square().mean();
    }

    /// <summary>Embedding and f(x) in eval mode without gradients.</summary>
    (Tensor Embedding, Tensor Prior) Condition(FusionBatch batch)
    {
        eval();
        using var _ = no_grad();
        var embedding = Embed(batch);
        return (embedding, Prior(embedding));
    }

    /// <summary>
    /// CARD's reverse process from y_T ~ N(f(x), I) to ŷ₀ for <see cref="CardConfig.Samples"/> samples
    /// per stay (all samples in one batch): at t ≥ 1, y_{t−1} = γ₀ŷ₀ + γ₁y_t + γ₂f(x) + √β̃_t·z with ŷ₀
    /// reparameterised from ε_θ; at t = 0 the reparameterised ŷ₀ itself. Eval mode, no gradients.
    /// </summary>
    public CardPrediction Predict(FusionBatch batch, Generator generator)
    {
        var (embedding, fx) = Condition(batch);
        using var _ = no_grad();
        long b = batch.Size, n = Config.Samples;
        var e = embedding.repeat(n, 1);
        var f = fx.repeat(n, 1);
        // The running state belongs to no scope: each step frees its predecessor, so memory stays flat over T steps.
        var y = (f + randn(f.shape, generator: generator).to(f.device)).DetachFromDisposeScope();
        for (int step = Config.Steps - 1; step >= 0; step--)
        {
            using var stepScope = NewDisposeScope();
            var t = full(n * b, step, dtype: ScalarType.Int64, device: f.device);
            var next = Schedule.ReparameterisedY0(y, f, denoiser.Forward(e, y, f, t), step);
            if (step > 0)
            {
                var p = Schedule.Posterior(step);
                next = p.Gamma0 * next + p.Gamma1 * y + p.Gamma2 * f + Math.Sqrt(p.Variance) * randn(f.shape, generator: generator).to(f.device);
            }
            var previous = y;
            y = next.DetachFromDisposeScope();
            previous.Dispose();
        }
        var samples = y.clamp(0, 1).view(n, b, -1);
        y.Dispose();
        return new CardPrediction(samples.mean([0]), fx, samples.std(0, unbiased: false));
    }

    /// <summary>The prediction as a <see cref="FusionOutput"/> (logits = logit of the clipped mean, bounded at 1e−6).</summary>
    public FusionOutput PredictOutput(FusionBatch batch, Generator generator)
    {
        var prediction = Predict(batch, generator);
        return new FusionOutput(prediction.Probabilities.clamp(1e-6, 1 - 1e-6).logit(), prediction.Probabilities, null, null, []);
    }
}
