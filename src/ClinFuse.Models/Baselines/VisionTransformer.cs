using ClinFuse.Core;
using ClinFuse.Models.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Baselines;

/// <summary>Shape of a <see cref="VisionTransformer"/> (torchvision's <c>VisionTransformer</c> arguments).</summary>
/// <param name="ImageSize">Square input size in pixels.</param>
/// <param name="PatchSize">Square patch size; must divide <paramref name="ImageSize"/>.</param>
/// <param name="Layers">Encoder blocks.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="HiddenDim">Token width (also the feature width).</param>
/// <param name="MlpDim">Width of each block's MLP.</param>
/// <param name="Dropout">Dropout after the embedding, inside the MLP and on the residual branches.</param>
/// <param name="AttentionDropout">Dropout on the attention probabilities.</param>
public sealed record VitConfig(int ImageSize, int PatchSize, int Layers, int Heads, int HiddenDim, int MlpDim, double Dropout = 0.0, double AttentionDropout = 0.0)
{
    /// <summary>ViT-Base/16 at 224 px, as in the paper's Contrastive + ViT baseline (86 M parameters).</summary>
    public static VitConfig Base16 => new(224, 16, 12, 12, 768, 3072);

    /// <summary>A CPU-sized ViT (ViT-Tiny width, 4 blocks) at 224 px.</summary>
    public static VitConfig Small => new(224, 16, 4, 3, 192, 768);

    /// <summary>Patches per image side.</summary>
    public int PatchesPerSide => ImageSize / PatchSize;

    /// <summary>Throws a <see cref="ClinFuseException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Baseline.Require(ImageSize >= 1 && PatchSize >= 1 && ImageSize % PatchSize == 0, $"ViT image size {ImageSize} must be a positive multiple of the patch size {PatchSize}");
        Baseline.Require(Layers >= 1 && MlpDim >= 1, "ViT layers and MLP width must be positive");
        Baseline.Require(Heads >= 1 && HiddenDim % Heads == 0, $"ViT width {HiddenDim} must be divisible by its {Heads} heads");
        Baseline.Require(Dropout is >= 0 and < 1 && AttentionDropout is >= 0 and < 1, "ViT dropout rates must lie in [0, 1)");
    }
}

/// <summary>
/// torchvision's <c>EncoderBlock</c>: pre-norm self-attention and GELU MLP with residuals
/// (<c>ln_1</c>, <c>self_attention</c>, <c>ln_2</c>, <c>mlp.0</c>, <c>mlp.3</c>; LayerNorm ε 1e-6).
/// </summary>
internal sealed class VitEncoderBlock : Module<Tensor, Tensor>
{
    // Declaration order is registration order, and so state-dict order: torchvision's.
    readonly LayerNorm ln_1;
    readonly SelfAttention self_attention;
    readonly Dropout dropout;
    readonly LayerNorm ln_2;
    readonly Sequential mlp;

    /// <summary>Creates one block.</summary>
    public VitEncoderBlock(int hidden, int heads, int mlpDim, double dropoutRate, double attentionDropout) : base(nameof(VitEncoderBlock))
    {
        ln_1 = LayerNorm(hidden, eps: 1e-6);
        self_attention = new SelfAttention(hidden, heads, attentionDropout);
        dropout = Dropout(dropoutRate);
        ln_2 = LayerNorm(hidden, eps: 1e-6);
        var fc1 = Linear(hidden, mlpDim);
        var fc2 = Linear(mlpDim, hidden);
        // torchvision's MLPBlock initialisation: Xavier-uniform weights, N(0, 1e-6) biases.
        foreach (var linear in new[] { fc1, fc2 })
        {
            init.xavier_uniform_(linear.weight);
            init.normal_(linear.bias, 0, 1e-6);
        }
        mlp = Sequential(("0", fc1), ("1", GELU()), ("2", Dropout(dropoutRate)), ("3", fc2), ("4", Dropout(dropoutRate)));
        RegisterComponents();
    }

    /// <summary>[B, S, D] → [B, S, D].</summary>
    public override Tensor forward(Tensor x)
    {
        var attended = self_attention.Forward(ln_1.call(x), null).Output;
        var y = dropout.call(attended) + x;
        return y + mlp.call(ln_2.call(y));
    }
}

/// <summary>torchvision's ViT <c>Encoder</c>: learned position embedding, blocks <c>layers.encoder_layer_{i}</c>, final <c>ln</c>.</summary>
internal sealed class VitEncoder : Module<Tensor, Tensor>
{
    readonly Parameter pos_embedding;
    readonly Dropout dropout;
    readonly Sequential layers;
    readonly LayerNorm ln;

    /// <summary>Creates the encoder for <paramref name="sequenceLength"/> tokens (patches + class token).</summary>
    public VitEncoder(int sequenceLength, VitConfig config) : base(nameof(VitEncoder))
    {
        pos_embedding = new Parameter(empty(1, sequenceLength, config.HiddenDim));
        init.normal_(pos_embedding, 0, 0.02);
        dropout = Dropout(config.Dropout);
        var blocks = new List<(string, Module<Tensor, Tensor>)>(config.Layers);
        for (int i = 0; i < config.Layers; i++)
            blocks.Add(($"encoder_layer_{i}", new VitEncoderBlock(config.HiddenDim, config.Heads, config.MlpDim, config.Dropout, config.AttentionDropout)));
        layers = Sequential(blocks);
        ln = LayerNorm(config.HiddenDim, eps: 1e-6);
        RegisterComponents();
    }

    /// <summary>[B, S, D] tokens → [B, S, D].</summary>
    public override Tensor forward(Tensor tokens) => ln.call(layers.call(dropout.call(tokens + pos_embedding)));
}

/// <summary>
/// Vision Transformer with torchvision's parameter names (<c>class_token</c>, <c>conv_proj</c>,
/// <c>encoder.pos_embedding</c>, <c>encoder.layers.encoder_layer_{i}.*</c>, <c>encoder.ln</c>,
/// <c>heads.head</c>), so a torchvision state dict of the same configuration loads 1:1.
/// <see cref="Module{T, TResult}.forward"/> returns the class-token feature [B, D].
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>
{
    readonly Parameter class_token;
    readonly Conv2d conv_proj;
    readonly VitEncoder encoder;
    readonly Sequential? heads;

    /// <summary>The configuration it was built with.</summary>
    public VitConfig Config { get; }

    /// <summary>Feature width (the hidden dimension).</summary>
    public int FeatureDim => Config.HiddenDim;

    /// <summary>
    /// Layout and precision of the patch embedding's input (set from the compute settings when the ViT is
    /// built). Channels-last also saves a copy: the embedding's [B, D, h, w] output then flattens and
    /// transposes into contiguous [B, h·w, D] tokens. The tokens are float32 either way.
    /// </summary>
    internal ImageMaps Maps { get; set; } = TorchRuntime.ImageMaps;

    /// <summary>Builds the ViT; <paramref name="numClasses"/> = 0 leaves out the classification head.</summary>
    public VisionTransformer(VitConfig config, int numClasses = 0) : base(nameof(VisionTransformer))
    {
        config.Validate();
        Config = config;
        conv_proj = Conv2d(3, config.HiddenDim, config.PatchSize, stride: config.PatchSize);
        // torchvision: truncated normal with std sqrt(1 / fan_in) for the patch projection, zero bias.
        init.trunc_normal_(conv_proj.weight, std: Math.Sqrt(1.0 / (3 * config.PatchSize * config.PatchSize)));
        init.zeros_(conv_proj.bias!);
        class_token = new Parameter(zeros(1, 1, config.HiddenDim));
        encoder = new VitEncoder(config.PatchesPerSide * config.PatchesPerSide + 1, config);
        if (numClasses > 0)
        {
            var head = Linear(config.HiddenDim, numClasses);
            init.zeros_(head.weight);
            init.zeros_(head.bias);
            heads = Sequential(("head", head));
        }
        RegisterComponents();
    }

    /// <summary>Class-token feature [B, D] of images [B, 3, S, S].</summary>
    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != Config.ImageSize || images.shape[3] != Config.ImageSize)
            throw new ClinFuseException(
                $"The ViT expects images [N,3,{Config.ImageSize},{Config.ImageSize}], got [{string.Join(",", images.shape)}].",
                "Prepare the images at the ViT's size or build the ViT for the prepared size.");
        long b = images.shape[0];
        var input = Maps.Input(images, training);
        using var embedded = Maps.Conv(conv_proj, input);
        if (!ReferenceEquals(input, images)) input.Dispose();
        var patches = embedded.flatten(2).transpose(1, 2).to(ScalarType.Float32);
        var tokens = cat([class_token.expand(b, -1, -1), patches], 1);
        return encoder.call(tokens)[.., 0];
    }

    /// <summary>Logits of the classification head; throws when built without one.</summary>
    public Tensor Classify(Tensor images) =>
        (heads ?? throw new InvalidOperationException("This ViT was built without a classification head.")).call(forward(images));
}
