using ClinFuse.Core;
using ClinFuse.Models.Networks;

namespace ClinFuse.Models.Tests;

/// <summary><see cref="ModelKinds.IsFusionHead"/> names the heads that take both encoders, and the configuration uses it.</summary>
public sealed class ModelKindsTests
{
    public static TheoryData<ModelKind> AllKinds => [.. Enum.GetValues<ModelKind>()];

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Only_early_medfuse_and_attention_are_fusion_heads_and_only_they_take_the_series_residual(ModelKind kind)
    {
        bool expected = kind is ModelKind.Early or ModelKind.MedFuseLstm or ModelKind.Attention;
        Assert.Equal(expected, kind.IsFusionHead());
        var config = ModelConfig.Reference(kind, 25) with { SeriesResidual = true };
        if (expected) config.Validate();
        else Assert.Throws<ClinFuseException>(config.Validate);
    }
}
