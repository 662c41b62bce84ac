using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Baselines;

/// <summary>The contrastive objectives of the Contrastive + ViT baseline.</summary>
internal static class ContrastiveLosses
{
    /// <summary>
    /// SimCLR's NT-Xent (normalised temperature-scaled cross-entropy) for two views <paramref name="view1"/>,
    /// <paramref name="view2"/> [N, D] of the same N samples: the 2N embeddings are L2-normalised, each
    /// one's positive is its other view and its negatives the other 2N − 2 embeddings; the loss is the
    /// mean over all 2N anchors of −log softmax(cos / τ) at the positive.
    /// </summary>
    public static Tensor NtXent(Tensor view1, Tensor view2, double temperature)
    {
        long n = view1.shape[0];
        var z = functional.normalize(cat([view1, view2], 0), p: 2, dim: 1);
        var similarity = z.matmul(z.t()) / temperature;
        // An anchor is never its own negative.
        var self = eye(2 * n, dtype: ScalarType.Bool, device: z.device);
        similarity = similarity.masked_fill(self, double.NegativeInfinity);
        var positives = cat([arange(n, 2 * n), arange(0, n)]).to(z.device);
        return functional.cross_entropy(similarity, positives);
    }

    /// <summary>
    /// CLIP's symmetric InfoNCE for paired embeddings <paramref name="a"/>, <paramref name="b"/> [N, D]:
    /// logits = exp(<paramref name="logScale"/>) · â b̂ᵀ on L2-normalised rows, loss = ½·(CE(logits, i) + CE(logitsᵀ, i)).
    /// </summary>
    public static Tensor SymmetricInfoNce(Tensor a, Tensor b, Tensor logScale)
    {
        long n = a.shape[0];
        var logits = logScale.exp() * functional.normalize(a, p: 2, dim: 1).matmul(functional.normalize(b, p: 2, dim: 1).t());
        var targets = arange(n, device: a.device);
        return 0.5 * (functional.cross_entropy(logits, targets) + functional.cross_entropy(logits.t(), targets));
    }
}
