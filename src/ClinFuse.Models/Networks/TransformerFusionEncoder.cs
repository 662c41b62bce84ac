using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Networks;

/// <summary>What one encoder layer computed.</summary>
/// <param name="SelfAttention">Self-attention output after <c>out_proj</c>, before the residual [B, S, D].</param>
/// <param name="Weights">Attention probabilities per head [B, heads, S (query), S (key)], before dropout.</param>
/// <param name="Norm1">norm1(x + self-attention) [B, S, D].</param>
/// <param name="FeedForward">linear2(relu(linear1(norm1))) [B, S, D].</param>
/// <param name="Output">norm2(norm1 + feed-forward) [B, S, D].</param>
public sealed record EncoderLayerTrace(Tensor SelfAttention, Tensor Weights, Tensor Norm1, Tensor FeedForward, Tensor Output);

/// <summary>
/// Multi-head self-attention with PyTorch's parameter layout (<c>in_proj_weight</c> rows = W_q, W_k,
/// W_v; <c>out_proj</c>), batch-first, returning per-head weights.
/// </summary>
public sealed class SelfAttention : Module
{
    readonly int heads;
    readonly Dropout attentionDropout;

    /// <summary>[3D, D] stacked query, key and value projections.</summary>
    public Parameter InProjWeight => in_proj_weight;
    readonly Parameter in_proj_weight;

    /// <summary>[3D] stacked projection biases.</summary>
    public Parameter InProjBias => in_proj_bias;
    readonly Parameter in_proj_bias;

    /// <summary>Output projection.</summary>
    public Linear OutProj => out_proj;
    readonly Linear out_proj;

    /// <summary>Creates the block; <paramref name="dropout"/> acts on the attention probabilities in train mode.</summary>
    public SelfAttention(int dim, int heads, double dropout) : base(nameof(SelfAttention))
    {
        this.heads = heads;
        in_proj_weight = new Parameter(empty(3 * dim, dim).DetachFromDisposeScope());
        in_proj_bias = new Parameter(zeros(3 * dim).DetachFromDisposeScope());
        out_proj = Linear(dim, dim);
        init.xavier_uniform_(in_proj_weight);
        register_parameter(nameof(in_proj_weight), in_proj_weight);
        register_parameter(nameof(in_proj_bias), in_proj_bias);
        register_module(nameof(out_proj), out_proj);
        attentionDropout = Dropout(dropout);
        register_module(nameof(attentionDropout), attentionDropout);
    }

    /// <summary>
    /// Attention over the tokens of <paramref name="x"/> [B, S, D]; keys where <paramref name="keyPaddingMask"/>
    /// [B, S] is true get no weight.
    /// </summary>
    public (Tensor Output, Tensor Weights) Forward(Tensor x, Tensor? keyPaddingMask)
    {
        long b = x.shape[0], s = x.shape[1], d = x.shape[2], headDim = d / heads;
        var qkv = functional.linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
        Tensor Split(Tensor t) => t.reshape(b, s, heads, headDim).transpose(1, 2);
        using var scale = Math.Sqrt(headDim).ToScalar();
        var q = Split(qkv[0]).div(scale);
        var scores = q.matmul(Split(qkv[1]).transpose(-2, -1));
        if (keyPaddingMask is not null)
            scores = scores.masked_fill(keyPaddingMask.view(b, 1, 1, s), HeldScalars.NegativeInfinity);
        var weights = scores.softmax(-1);
        var mixed = attentionDropout.call(weights).matmul(Split(qkv[2])).transpose(1, 2).reshape(b, s, d);
        return (out_proj.call(mixed), weights);
    }
}

/// <summary>
/// PyTorch's <c>nn.TransformerEncoderLayer</c> in its default form: post-norm, ReLU, batch-first,
/// dropout on the attention probabilities, after self-attention (<c>dropout1</c>), after the FFN ReLU
/// (<c>dropout</c>) and after the FFN (<c>dropout2</c>). Same parameter names and order.
/// </summary>
public sealed class PostNormEncoderLayer : Module
{
    readonly Dropout dropout, dropout1, dropout2;

    /// <summary>Self-attention block.</summary>
    public SelfAttention SelfAttn => self_attn;
    readonly SelfAttention self_attn;
    /// <summary>First FFN Linear (D → FF).</summary>
    public Linear Linear1 => linear1;
    readonly Linear linear1;
    /// <summary>Second FFN Linear (FF → D).</summary>
    public Linear Linear2 => linear2;
    readonly Linear linear2;
    /// <summary>LayerNorm after the attention residual.</summary>
    public LayerNorm Norm1 => norm1;
    readonly LayerNorm norm1;
    /// <summary>LayerNorm after the FFN residual.</summary>
    public LayerNorm Norm2 => norm2;
    readonly LayerNorm norm2;

    /// <summary>Creates the layer.</summary>
    public PostNormEncoderLayer(int dim, int heads, int feedForward, double dropoutRate) : base(nameof(PostNormEncoderLayer))
    {
        self_attn = new SelfAttention(dim, heads, dropoutRate);
        linear1 = Linear(dim, feedForward);
        dropout = Dropout(dropoutRate);
        linear2 = Linear(feedForward, dim);
        norm1 = LayerNorm(dim, eps: 1e-5);
        norm2 = LayerNorm(dim, eps: 1e-5);
        dropout1 = Dropout(dropoutRate);
        dropout2 = Dropout(dropoutRate);
        register_module(nameof(self_attn), self_attn);
        register_module(nameof(linear1), linear1);
        register_module(nameof(dropout), dropout);
        register_module(nameof(linear2), linear2);
        register_module(nameof(norm1), norm1);
        register_module(nameof(norm2), norm2);
        register_module(nameof(dropout1), dropout1);
        register_module(nameof(dropout2), dropout2);
    }

    /// <summary>Runs the layer on [B, S, D] tokens.</summary>
    public EncoderLayerTrace Forward(Tensor x, Tensor? keyPaddingMask)
    {
        var (attended, weights) = self_attn.Forward(x, keyPaddingMask);
        var h = norm1.call(x.add(dropout1.call(attended), HeldScalars.One));
        var ff = linear2.call(dropout.call(functional.relu(linear1.call(h))));
        var output = norm2.call(h.add(dropout2.call(ff), HeldScalars.One));
        return new EncoderLayerTrace(attended, weights, h, ff, output);
    }
}

/// <summary>
/// The attention fusion's <c>attn_layer</c>: a stack of <see cref="PostNormEncoderLayer"/> under
/// <c>layers.{i}</c>, no final norm, no positional embedding.
/// </summary>
public sealed class TransformerFusionEncoder : Module
{
    readonly PostNormEncoderLayer[] layerArray;

    /// <summary>The encoder layers in order.</summary>
    public IReadOnlyList<PostNormEncoderLayer> Layers => layerArray;

    /// <summary>Creates <paramref name="layerCount"/> independently initialised layers.</summary>
    public TransformerFusionEncoder(int layerCount, int dim, int heads, int feedForward, double dropoutRate) : base(nameof(TransformerFusionEncoder))
    {
        layerArray = new PostNormEncoderLayer[layerCount];
        for (int i = 0; i < layerCount; i++) layerArray[i] = new PostNormEncoderLayer(dim, heads, feedForward, dropoutRate);
        register_module("layers", new ModuleList<PostNormEncoderLayer>(layerArray));
    }

    /// <summary>The last layer's output and each layer's attention weights.</summary>
    public (Tensor Output, List<Tensor> Weights) Forward(Tensor tokens, Tensor? keyPaddingMask)
    {
        var weights = new List<Tensor>(layerArray.Length);
        var x = tokens;
        foreach (var layer in layerArray)
        {
            var trace = layer.Forward(x, keyPaddingMask);
            weights.Add(trace.Weights);
            x = trace.Output;
        }
        return (x, weights);
    }
}
