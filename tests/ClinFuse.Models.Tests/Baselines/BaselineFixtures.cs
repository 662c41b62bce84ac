using ClinFuse.Models.Baselines;
using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Baselines;

/// <summary>Tiny configurations and a planted problem shared by the baseline tests.</summary>
static class BaselineFixtures
{
    public const int Features = 5, Labels = 3, Hours = 6;

    public static readonly VitConfig TinyVit = new(16, 8, 1, 2, 8, 16);

    public static ContrastiveVitConfig Contrastive => new(Labels, TinyVit, EhrInputDim: Features, EhrHidden: 8, EhrLayers: 1, EhrDropout: 0, ProjectionDim: 8);

    public static CardConfig Card => new(Labels, ImageEncoderKind.Vit, TinyVit, EhrInputDim: Features, EhrHidden: 8, EhrLayers: 1, EhrDropout: 0,
        PriorHidden: 16, FeatureDim: 16, Steps: 20, Samples: 8);

    /// <summary>
    /// Eight stays, five with an image; label k is 1 when feature k of the series' first hour is positive,
    /// and the image brightness carries label 0 as well, so every objective has something to learn.
    /// </summary>
    public static FusionBatch Planted(int seed, int size = 8)
    {
        var generator = new Generator((ulong)seed);
        var ehr = randn(size, Hours, Features, generator: generator);
        var lengths = randint(2, Hours + 1, [size], generator: generator);
        var valid = (arange(Hours).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2).to(ScalarType.Float32);
        ehr *= valid;
        var labels = (ehr[.., 0, ..Labels] > 0).to(ScalarType.Float32);
        var hasImage = arange(size) % 3 != 1;
        var imageOf = hasImage.nonzero().squeeze(1);
        long count = imageOf.shape[0];
        var images = randn(count, 3, 16, 16, generator: generator) * 0.5 + (labels.index_select(0, imageOf)[.., 0] * 2 - 1).view(count, 1, 1, 1);
        return new FusionBatch(ehr, lengths, images, hasImage, labels);
    }

    /// <summary>Same shape and bit-identical float32 values.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.data<float>().ToArray().AsSpan().SequenceEqual(b.data<float>().ToArray());
}

/// <summary>
/// Tests that seed libtorch's global generator (weight initialisation, dropout) run alone, so that no
/// other test draws from it between the seed and the draws.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalTorchRandomness
{
    public const string Name = "global torch randomness";
}
