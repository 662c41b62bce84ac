using ClinFuse.Core;
using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>One phenotyping network with the formula weights, shared by the forward parity tests.</summary>
public sealed class PhenotypingNetworkFixture
{
    public PhenotypingNetworkFixture()
    {
        TorchRuntime.Initialize(new ComputeSettings(2));
        Network = Golden.Shared(ModelKind.Attention);
    }

    public FusionNetwork Network { get; }
}

/// <summary>
/// Eval-mode forward of every path against the reference goldens (per-file atol from goldens.json),
/// stage by stage so that a failure points at the broken block.
/// </summary>
public sealed class ForwardParityTests(PhenotypingNetworkFixture fixture) : IClassFixture<PhenotypingNetworkFixture>
{
    readonly FusionNetwork network = fixture.Network;

    [Fact]
    public void Ehr_encoder_matches_layer_by_layer()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var encoding = network.EhrModel.Run(Golden.Load("in_ehr"), Golden.Load("in_seq_lengths"), keepLayer0Output: true);
        Golden.Match("fwd_ehr_l0_out", encoding.Layer0Output);
        Golden.Match("fwd_ehr_l0_hn", encoding.Layer0Hidden);
        Golden.Match("fwd_ehr_l0_cn", encoding.Layer0Cell);
        Golden.Match("fwd_ehr_l1_cn", encoding.LastCell);
        Golden.Match("fwd_ehr_feat", encoding.Feature);
        var logits = network.EhrModel.DenseLayer.call(encoding.Feature);
        Golden.Match("fwd_ehr_logits", logits);
        Golden.Match("fwd_ehr_probs", logits.sigmoid());
    }

    [Fact]
    public void Resnet_matches_stage_by_stage_including_the_zero_image()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var trace = new List<Tensor>();
        var feature = network.CxrModel.VisionBackbone.Forward(Golden.Load("in_img"), trace);
        Golden.Match("fwd_cxr_conv1_slice", trace[0][.., ..4, ..8, ..8]);
        Golden.Match("fwd_cxr_stem_slice", trace[1][.., ..4, ..8, ..8]);
        Golden.Match("fwd_cxr_stem_pool", trace[1].mean([2, 3]));
        Golden.Match("fwd_cxr_layer1_pool", trace[2].mean([2, 3]));
        Golden.Match("fwd_cxr_layer2_pool", trace[3].mean([2, 3]));
        Golden.Match("fwd_cxr_layer3_pool", trace[4].mean([2, 3]));
        Golden.Match("fwd_cxr_feat", feature);
        var logits = network.CxrModel.Classifier.call(feature);
        Golden.Match("fwd_cxr_logits", logits);
        Golden.Match("fwd_cxr_probs", logits.sigmoid());
    }

    [Fact]
    public void Projection_zeroing_and_tokens_match()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var cxr = Golden.Load("fwd_cxr_feat");
        Golden.Match("fwd_proj", network.Projection.call(cxr));
        var token = network.CxrToken(cxr, Golden.Load("in_pairs").to(ScalarType.Bool));
        Golden.Match("fwd_cxr_token", token);
        Assert.Equal(0f, token[2].abs().max().item<float>());
        Golden.Match("fwd_tokens", stack([Golden.Load("fwd_ehr_feat"), token], 1));
    }

    [Fact]
    public void Transformer_layers_match_piece_by_piece()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var layers = network.AttnLayer.Layers;
        var l0 = layers[0].Forward(Golden.Load("fwd_tokens"), null);
        Golden.Match("fwd_attn_l0_sa", l0.SelfAttention);
        Golden.Match("fwd_attn_l0_weights", l0.Weights);
        Golden.Match("fwd_attn_l0_norm1", l0.Norm1);
        Golden.Match("fwd_attn_l0_ff", l0.FeedForward);
        Golden.Match("fwd_attn_l0_out", l0.Output);
        Golden.Match("fwd_attn_l1_out", layers[1].Forward(Golden.Load("fwd_attn_l0_out"), null).Output);
        var flat = Golden.Load("fwd_attn_l1_out").reshape(4, -1);
        Golden.Match("fwd_attn_flat", flat);
        Golden.Match("fwd_attn_logits", network.AttnFusedCls.call(Golden.Load("fwd_attn_flat")));
    }

    [Fact]
    public void Attention_fusion_end_to_end_in_reference_mode()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = network.call(Golden.Batch());
        Golden.Match("fwd_ehr_feat", output.EhrFeature!);
        Golden.Match("fwd_cxr_feat", output.CxrFeature!);
        Golden.Match("fwd_attn_logits", output.Logits);
        Golden.Match("fwd_attn_probs", output.Probabilities);
        Golden.Match("fwd_attn_l0_weights", output.AttentionWeights[0]);
        Assert.Equal(2, output.AttentionWeights.Count);
    }

    [Fact]
    public void MedFuse_fusion_lstm_matches_and_skips_the_missing_token()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var hidden = network.FuseWithLstm(Golden.Load("fwd_ehr_feat"), Golden.Load("fwd_cxr_token"), Golden.Load("in_pairs").to(ScalarType.Bool));
        Golden.Match("fwd_medfuse_hn", hidden);
        var logits = network.LstmFusedCls.call(hidden);
        Golden.Match("fwd_medfuse_logits", logits);
        Golden.Match("fwd_medfuse_probs", logits.sigmoid());
    }

    [Theory]
    [InlineData(ModelKind.UniEhr, "fwd_ehr_probs")]
    [InlineData(ModelKind.UniCxr, "fwd_cxr_probs")]
    [InlineData(ModelKind.MedFuseLstm, "fwd_medfuse_probs")]
    [InlineData(ModelKind.Attention, "fwd_attn_probs")]
    public void Each_fusion_type_returns_its_reference_output(ModelKind fusion, string golden)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var typed = Golden.Shared(fusion);
        Golden.Match(golden, typed.call(Golden.Batch()).Probabilities);
    }

    [Fact]
    public void Masked_mode_runs_the_cnn_only_on_present_images_and_changes_only_the_sample_without_one()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var masked = Golden.Shared(ModelKind.Attention, mode: MissingImageMode.Masked);
        var batch = Golden.Batch();
        Assert.Equal(3, batch.ImageCount);
        var output = masked.call(batch);
        var present = tensor(new long[] { 0, 1, 3 });
        var reference = Golden.Load("fwd_attn_probs");
        Assert.True(Golden.MaxDiff(output.Probabilities.index_select(0, present), reference.index_select(0, present)) <= Golden.Atol("fwd_attn_probs"));
        Assert.Equal(0f, output.CxrFeature![2].abs().max().item<float>());
        // Sample 2 no longer attends to a zero token: its keys are the EHR token only.
        Assert.Equal(1f, output.AttentionWeights[0][2, .., .., 0].min().item<float>());
        Assert.True(Golden.MaxDiff(output.Probabilities[2], reference[2]) > 1e-3);
    }

    [Fact]
    public void Masked_mode_medfuse_equals_the_reference_because_the_zero_token_is_skipped_anyway()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var masked = Golden.Shared(ModelKind.MedFuseLstm, mode: MissingImageMode.Masked);
        Golden.Match("fwd_medfuse_probs", masked.call(Golden.Batch()).Probabilities);
    }

    [Theory]
    [InlineData(MissingImageMode.Masked)]
    [InlineData(MissingImageMode.ZeroImage)]
    public void Early_fusion_concatenates_the_ehr_feature_and_the_projected_cxr_feature(MissingImageMode mode)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var early = Golden.Shared(ModelKind.Early, mode: mode);
        var output = early.call(Golden.Batch());
        // Masked: a zero CXR vector for the sample without an image; reference: the zero image's projected feature as is.
        var projected = mode == MissingImageMode.Masked
            ? early.CxrToken(Golden.Load("fwd_cxr_feat"), Golden.Load("in_pairs").to(ScalarType.Bool))
            : Golden.Load("fwd_proj");
        var expected = early.FusedCls.call(cat([Golden.Load("fwd_ehr_feat"), projected], 1));
        Assert.True(Golden.MaxDiff(output.Logits, expected) <= Golden.Atol("fwd_attn_logits"));
    }

    [Fact]
    public void A_batch_of_one_keeps_its_batch_dimension()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var full = Golden.Batch();
        var one = new FusionBatch(full.Ehr[..1], full.Lengths[..1], full.Images![..1], full.HasImage[..1], null);
        var output = network.call(one);
        Assert.Equal(new long[] { 1, 25 }, output.Probabilities.shape);
        Assert.True(Golden.MaxDiff(output.Probabilities, Golden.Load("fwd_attn_probs")[..1]) <= Golden.Atol("fwd_attn_probs"));
    }

    [Fact]
    public void Mortality_heads_match_with_the_same_encoder_weights()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = Golden.Batch("in_y_ihm");
        foreach (var (fusion, golden) in new[] { (ModelKind.Attention, "attn"), (ModelKind.MedFuseLstm, "medfuse"), (ModelKind.UniEhr, "ehr"), (ModelKind.UniCxr, "cxr") })
        {
            var ihm = Golden.Shared(fusion, numClasses: 1);
            var output = ihm.call(batch);
            Golden.Match($"fwd_ihm_{golden}_logits", output.Logits);
            Golden.Match($"fwd_ihm_{golden}_probs", output.Probabilities);
        }
    }
}
