using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Peers;

/// <summary>What ClinFuse does differently from the reference, on the golden weights and inputs.</summary>
public sealed class PeerBehaviourTests
{
    public PeerBehaviourTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    static FusionBatch Row(FusionBatch batch, long row)
    {
        var index = tensor(new[] { row });
        var hasImage = batch.HasImage.index_select(0, index);
        long imageRow = batch.HasImage.narrow(0, 0, row).sum().item<long>();
        var images = hasImage.item<bool>() ? batch.Images!.narrow(0, imageRow, 1) : null;
        return new FusionBatch(batch.Ehr.index_select(0, index), batch.Lengths.index_select(0, index), images, hasImage, batch.Labels!.index_select(0, index));
    }

    [Theory]
    [InlineData(PeerKind.Mmtm, "mmtm")]
    [InlineData(PeerKind.Daft, "daft")]
    public void With_the_valid_step_squeeze_a_stay_predicts_the_same_alone_as_in_a_batch_of_longer_stays(PeerKind kind, string model)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = PeerGolden.Batch();
        var single = Row(batch, 3); // length 1 in a batch padded to 12
        foreach (var squeeze in new[] { TimeSqueeze.ValidSteps, TimeSqueeze.IncludingPadding })
        {
            using var network = PeerGolden.Network(model, PeerGolden.Reference(kind, layerAfter: -1) with { Squeeze = squeeze });
            double diff = PeerGolden.MaxDiff(network.call(single).Main.Probabilities, network.call(batch).Main.Probabilities.narrow(0, 3, 1));
            if (squeeze == TimeSqueeze.ValidSteps) Assert.True(diff <= 1e-5, $"valid-step squeeze: the batch changed the stay's prediction by {diff:E2}");
            else Assert.True(diff > 1e-4, $"the reference's squeeze should depend on the batch's padding (diff {diff:E2})");
        }
    }

    [Theory]
    [InlineData(PeerKind.Mmtm, "mmtm")]
    [InlineData(PeerKind.Daft, "daft")]
    public void In_the_masked_mode_a_stay_without_an_image_keeps_its_unmodulated_ehr_and_the_others_are_unchanged(PeerKind kind, string model)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = PeerGolden.Batch();
        var config = PeerGolden.Reference(kind, layerAfter: -1) with { Squeeze = TimeSqueeze.ValidSteps };
        using var zeroImage = PeerGolden.Network(model, config);
        using var masked = PeerGolden.Network(model, config with { MissingImage = MissingImageMode.Masked });
        var withZero = zeroImage.call(batch);
        var withMask = masked.call(batch);
        var present = tensor(new long[] { 0, 1, 3 });
        Assert.True(PeerGolden.MaxDiff(withMask.Main.Probabilities.index_select(0, present), withZero.Main.Probabilities.index_select(0, present)) <= 1e-5);
        // Stay 2 has no image: its EHR sequence is not modulated, so its EHR feature is the plain encoder's.
        var plain = masked.EhrModel.Encode(batch.Ehr, batch.Lengths).narrow(0, 2, 1);
        Assert.True(PeerGolden.MaxDiff(withMask.Main.EhrFeature!.narrow(0, 2, 1), plain) <= 1e-6);
        Assert.True(PeerGolden.MaxDiff(withZero.Main.EhrFeature!.narrow(0, 2, 1), plain) > 1e-4, "the zero image should modulate the reference's EHR sequence");
    }

    [Fact]
    public void Mmtm_in_the_masked_mode_trains_the_cxr_head_on_the_stays_with_an_image_only()
    {
        using var scope = NewDisposeScope();
        using var network = PeerGolden.Network("mmtm", PeerGolden.Reference(PeerKind.Mmtm) with { MissingImage = MissingImageMode.Masked });
        var output = network.call(PeerGolden.Batch());
        var cxr = output.Auxiliary.Single(h => h.Name == "cxr_only");
        Assert.Equal([0L, 1, 3], cxr.Rows!.data<long>().ToArray());
        Assert.Equal([3L, 25], cxr.Probabilities.shape);
    }

    [Fact]
    public void Late_fusion_averages_per_class_and_gives_a_stay_without_an_image_its_ehr_prediction()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = (LateFusionNetwork)PeerCheckpoint.Build(new PeerConfig(PeerKind.Late, 25));
        network.eval();
        var weights = Enumerable.Range(0, 25).Select(i => (i % 9 + 1) / 10f).ToArray();
        network.SetWeights(weights);
        var output = network.call(PeerGolden.Batch());
        var ehr = output.Auxiliary.Single(h => h.Name == "ehr_only").Probabilities;
        var cxr = output.Auxiliary.Single(h => h.Name == "cxr_only");
        var w = tensor(weights).unsqueeze(0);
        var expected = w * ehr.index_select(0, cxr.Rows!) + (1 - w) * cxr.Probabilities;
        Assert.True(PeerGolden.MaxDiff(output.Main.Probabilities.index_select(0, cxr.Rows!), expected) <= 1e-6);
        Assert.True(PeerGolden.MaxDiff(output.Main.Probabilities.narrow(0, 2, 1), ehr.narrow(0, 2, 1)) <= 1e-6);
        Assert.False(output.TrainMain);
        Assert.Throws<ArgumentException>(() => network.SetWeights([.. weights.Select(x => x + 1)]));
    }

    [Fact]
    public void A_stagewise_model_needs_a_second_ehr_layer_and_a_valid_stage()
    {
        Assert.Throws<ClinFuseException>(() => new PeerConfig(PeerKind.Mmtm, 25, EhrLayers: 1).Validate());
        Assert.Throws<ClinFuseException>(() => new PeerConfig(PeerKind.Daft, 25, LayerAfter: 5).Validate());
        new PeerConfig(PeerKind.Tokens, 25, EhrLayers: 1).Validate();
    }
    [Fact]
    public void Drfuse_predicts_a_stay_the_same_alone_as_in_a_batch_and_a_single_stay_without_an_image_is_no_special_case()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = PeerGolden.Batch();
        using var network = (DrFuseNetwork)PeerGolden.Network("drfuse", new PeerConfig(PeerKind.DrFuse, 25));
        var together = network.Forward(batch);
        for (long row = 0; row < 4; row++)
        {
            // Row 2 has no image (the reference's squeeze() of a batch of one masks the wrong axis and gives NaN there); row 3 has length 1.
            var alone = network.Forward(Row(batch, row));
            Assert.True(PeerGolden.MaxDiff(alone.PredFinal, together.PredFinal.narrow(0, row, 1)) <= 1e-5, $"stay {row}: the batch changed its prediction");
            Assert.True(PeerGolden.MaxDiff(alone.AttentionWeights, together.AttentionWeights.narrow(0, row, 1)) <= 1e-5, $"stay {row}: the batch changed its attention");
        }
        Assert.Equal(0f, network.Forward(Row(batch, 2)).AttentionWeights.select(2, 2).abs().max().item<float>());
    }
    [Fact]
    public void Drfuse_reads_the_first_350_hours_of_a_longer_stay()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var network = (DrFuseNetwork)PeerGolden.Network("drfuse", new PeerConfig(PeerKind.DrFuse, 25));
        var batch = Row(PeerGolden.Batch(), 1);
        int max = DrFuseEhrTransformer.MaxLength;
        var first = randn(1, max, 76);
        var longer = new FusionBatch(cat([first, randn(1, 100, 76)], 1), tensor(new long[] { max + 100 }), batch.Images, batch.HasImage, batch.Labels);
        var truncated = new FusionBatch(first, tensor(new long[] { max }), batch.Images, batch.HasImage, batch.Labels);
        Assert.True(PeerGolden.MaxDiff(network.Forward(longer).PredFinal, network.Forward(truncated).PredFinal) <= 1e-6);
    }
}
