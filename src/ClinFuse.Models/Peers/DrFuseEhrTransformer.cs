using ClinFuse.Models.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>What DrFuse's EHR encoder computed.</summary>
/// <param name="Shared">[B, D] mean over each stay's steps of the shared branch (before <c>shared_project</c>).</param>
/// <param name="Distinct">[B, D] the same of the distinct branch.</param>
/// <param name="Probabilities">[B, C] the EHR-only prediction from the distinct representation.</param>
internal sealed record DrFuseEhrEncoding(Tensor Shared, Tensor Distinct, Tensor Probabilities);

/// <summary>
/// DrFuse's EHR encoder (<c>ehr_model</c>, the reference's <c>EHRTransformer</c>): <c>emb</c> (features → D),
/// a learnable positional encoding <c>pos_encoder.pe</c> [1, 350, D] (U[−0.1, 0.1)), a feature Transformer
/// <c>model_feat</c> and, on its output, a shared and a distinct Transformer (<c>model_shared</c>,
/// <c>model_distinct</c>), each PyTorch's post-norm encoder layer (FF 2048, ReLU) with padding masked as keys;
/// each representation is the mean over the stay's own steps (the first 350 of a longer stay); <c>fc_distinct</c> is the EHR-only head.
/// </summary>
internal sealed class DrFuseEhrTransformer : Module
{
    /// <summary>Longest series the positional encoding covers (the reference's <c>max_len</c>).</summary>
    public const int MaxLength = 350;

    /// <summary>Feed-forward width of the encoder layers (PyTorch's default, which the reference keeps).</summary>
    public const int FeedForward = 2048;

    readonly Linear emb;
    readonly PositionalEncoding pos_encoder;
    readonly TransformerFusionEncoder model_feat, model_shared, model_distinct;
    readonly Linear fc_distinct;

    /// <summary>Builds a randomly initialised encoder.</summary>
    public DrFuseEhrTransformer(int inputDim, int hidden, int heads, int sharedLayers, double dropout, int numClasses) : base(nameof(DrFuseEhrTransformer))
    {
        emb = Linear(inputDim, hidden);
        pos_encoder = new PositionalEncoding(hidden);
        model_feat = new TransformerFusionEncoder(1, hidden, heads, FeedForward, dropout);
        model_shared = new TransformerFusionEncoder(sharedLayers, hidden, heads, FeedForward, dropout);
        model_distinct = new TransformerFusionEncoder(sharedLayers, hidden, heads, FeedForward, dropout);
        fc_distinct = Linear(hidden, numClasses);
        register_module(nameof(emb), emb);
        register_module(nameof(pos_encoder), pos_encoder);
        register_module(nameof(model_feat), model_feat);
        register_module(nameof(model_shared), model_shared);
        register_module(nameof(model_distinct), model_distinct);
        register_module(nameof(fc_distinct), fc_distinct);
    }

    /// <summary>
    /// Encodes [B, T, F] series of the given lengths (steps after a length are padding). A series longer
    /// than the positional encoding (<see cref="MaxLength"/> steps) is read up to that step, as the
    /// reference reads only a stay's first 48 hours.
    /// </summary>
    public DrFuseEhrEncoding Forward(Tensor ehr, Tensor lengths)
    {
        if (ehr.shape[1] > MaxLength)
        {
            ehr = ehr.narrow(1, 0, MaxLength);
            lengths = lengths.clamp_max(MaxLength);
        }
        long steps = ehr.shape[1];
        var valid = arange(steps, device: ehr.device).unsqueeze(0) < lengths.to(ehr.device).unsqueeze(1);
        var padding = valid.logical_not();
        var x = pos_encoder.Add(emb.call(ehr));
        var feature = model_feat.Forward(x, padding).Output;
        var weights = valid.to(ehr.dtype).unsqueeze(2);
        var count = weights.sum(1);
        var shared = (model_shared.Forward(feature, padding).Output * weights).sum(1) / count;
        var distinct = (model_distinct.Forward(feature, padding).Output * weights).sum(1) / count;
        return new DrFuseEhrEncoding(shared, distinct, fc_distinct.call(distinct).sigmoid());
    }

    /// <summary>The reference's <c>LearnablePositionalEncoding</c> (its dropout is 0): <c>pe</c> added to the first T steps.</summary>
    sealed class PositionalEncoding : Module
    {
        readonly Parameter pe;

        public PositionalEncoding(int hidden) : base(nameof(PositionalEncoding))
        {
            pe = new Parameter(empty(1, MaxLength, hidden).uniform_(-0.1, 0.1).DetachFromDisposeScope());
            register_parameter(nameof(pe), pe);
        }

        public Tensor Add(Tensor x) => x + pe.narrow(1, 0, x.shape[1]);
    }
}
