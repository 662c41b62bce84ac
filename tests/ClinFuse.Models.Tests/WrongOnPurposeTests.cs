using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>
/// Deliberately wrong variants built from the same weights land on the golden "neg_" files and outside
/// the tolerances of the right answer: the parity tests can fail, and would catch these bugs.
/// </summary>
public sealed class WrongOnPurposeTests(PhenotypingNetworkFixture fixture) : IClassFixture<PhenotypingNetworkFixture>
{
    readonly FusionNetwork network = fixture.Network;

    static void AssertWrongLikeTheReference(Tensor wrong, string negative, string right)
    {
        Assert.True(Golden.MaxDiff(wrong, Golden.Load(negative)) <= Golden.Atol(right), $"{negative}: the wrong variant does not reproduce the reference's wrong output");
        Assert.True(Golden.MaxDiff(wrong, Golden.Load(right)) > 100 * Golden.Atol(right), $"{negative}: the wrong variant passes as {right}");
    }

    [Fact]
    public void Running_the_lstm_over_padding_gives_the_unpacked_last_step_feature()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ehr = Golden.Load("in_ehr");
        var lengths = Golden.Load("in_seq_lengths");
        var full = full_like(lengths, ehr.shape[1]);
        AssertWrongLikeTheReference(network.EhrModel.Encode(ehr, full), "neg_ehr_feat_unpacked_last_step", "fwd_ehr_feat");
    }

    [Fact]
    public void Not_zeroing_the_missing_cxr_token_gives_the_reference_negative()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var token = network.Projection.call(Golden.Load("fwd_cxr_feat"));
        var (encoded, _) = network.AttnLayer.Forward(stack([Golden.Load("fwd_ehr_feat"), token], 1), null);
        AssertWrongLikeTheReference(network.AttnFusedCls.call(encoded.reshape(4, -1)).sigmoid(), "neg_attn_probs_cxr_token_not_zeroed", "fwd_attn_probs");
    }

    [Fact]
    public void Feeding_the_zero_token_to_the_fusion_lstm_gives_the_reference_negative()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var hidden = network.FuseWithLstm(Golden.Load("fwd_ehr_feat"), Golden.Load("fwd_cxr_token"), ones(4, ScalarType.Bool));
        var probabilities = network.LstmFusedCls.call(hidden).sigmoid();
        Assert.True(Golden.MaxDiff(probabilities, Golden.Load("neg_medfuse_probs_all_len2")) <= Golden.Atol("fwd_medfuse_probs"));
        Assert.True(Golden.MaxDiff(probabilities, Golden.Load("fwd_medfuse_probs")) > 1e-3);
    }

    [Fact]
    public void A_pre_norm_transformer_gives_the_reference_negative()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = Golden.Load("fwd_tokens");
        foreach (var layer in network.AttnLayer.Layers)
        {
            x = x + layer.SelfAttn.Forward(layer.Norm1.call(x), null).Output;
            x = x + layer.Linear2.call(nn.functional.relu(layer.Linear1.call(layer.Norm2.call(x))));
        }
        AssertWrongLikeTheReference(network.AttnFusedCls.call(x.reshape(4, -1)).sigmoid(), "neg_attn_probs_norm_first", "fwd_attn_probs");
    }
}
