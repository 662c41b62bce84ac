using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Tests.Shared;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Peers;

/// <summary>
/// The peer-model goldens of tests/fixtures/peers (MedFuse's FusionMMTM, FusionDAFT and FusionTokens
/// run by PyTorch 1.13 on formula weights): inputs, outputs, one training step.
/// </summary>
static class PeerGolden
{
    static readonly Lazy<Dictionary<string, Tensor>> Tensors = new(() => Read("peers.safetensors"));

    /// <summary>DrFuse's goldens (its own file; inputs shared with the MedFuse peers).</summary>
    static readonly Lazy<Dictionary<string, Tensor>> DrFuseTensors = new(() => Read("drfuse.safetensors"));

    static Dictionary<string, Tensor> Read(string file) =>
        Task.Run(() => SafeTensors.Read(Fixtures.Path("peers", file)).Tensors.ToDictionary(p => p.Key, p => p.Value.DetachFromDisposeScope())).GetAwaiter().GetResult();

    /// <summary>Forward probabilities (eval mode): the elementwise tolerance of the model goldens' probabilities.</summary>
    public const double ProbabilityAtol = 5e-6;

    /// <summary>Losses (sums of BCE means).</summary>
    public const double LossAtol = 5e-6;

    public static Tensor Get(string name) => name.StartsWith("drfuse.", StringComparison.Ordinal) ? DrFuseTensors.Value[name] : Tensors.Value[name];

    /// <summary>Names and shapes of the reference state dict (keys_{model}.txt, in its order).</summary>
    public static IReadOnlyList<(long K, string Name, string Shape)> Keys(string model) =>
        File.ReadAllLines(Fixtures.Path("peers", $"keys_{model}.txt")).Skip(1).Select(line =>
        {
            var c = line.Split('\t');
            return (long.Parse(c[0]), c[1], c[2]);
        }).ToList();

    /// <summary>
    /// A network of <paramref name="config"/> with the formula weights of the reference's entry numbers, in eval mode;
    /// <paramref name="referenceName"/> maps an entry to the reference entry whose weights it gets (default: the same name).
    /// </summary>
    public static PeerNetwork Network(string model, PeerConfig config, Func<string, string>? referenceName = null)
    {
        var network = PeerCheckpoint.Build(config);
        var k = Keys(model).ToDictionary(e => e.Name, e => e.K);
        GoldenWeights.Apply(network, name => k[referenceName is null ? name : referenceName(name)]);
        network.eval();
        return network;
    }

    /// <summary>The reference configuration: zero images, padding included in the time squeeze.</summary>
    public static PeerConfig Reference(PeerKind kind, int layerAfter = 4, double ehrDropout = 0.3, TokenHead head = TokenHead.Joint) =>
        new(kind, 25, MissingImageMode.ZeroImage, LayerAfter: layerAfter, EhrDropout: ehrDropout, Squeeze: TimeSqueeze.IncludingPadding, TokenHead: head);

    /// <summary>The golden batch: 4 stays of lengths 12, 9, 4, 1 (padded to 12), the third without an image.</summary>
    public static FusionBatch Batch()
    {
        var hasImage = Get("in.pairs").to(ScalarType.Bool);
        return new FusionBatch(Get("in.ehr"), Get("in.lengths"), Get("in.img").index_select(0, hasImage.nonzero().squeeze(1)), hasImage, Get("in.y"));
    }

    public static double MaxDiff(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        return (actual.detach().to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();
    }

    public static void Match(string name, Tensor actual, double atol)
    {
        double diff = MaxDiff(actual, Get(name));
        Assert.True(diff <= atol, $"{name}: max |diff| {diff:E3} > atol {atol:E1}");
    }
    /// <summary>
    /// The gradients of <paramref name="stored"/> parameters (relative Frobenius difference within
    /// <paramref name="gradientTolerance"/> of each name) against <c>{model}.step.grad.*</c>.
    /// </summary>
    public static void MatchGradients(string model, IReadOnlyDictionary<string, TorchSharp.Modules.Parameter> parameters, IEnumerable<string> stored, Func<string, double> gradientTolerance)
    {
        foreach (var name in stored)
        {
            var expected = Get($"{model}.step.grad.{name}").to(ScalarType.Float64);
            double relative = (parameters[name].grad!.to(ScalarType.Float64) - expected).norm().item<double>() / expected.norm().item<double>();
            Assert.True(relative <= gradientTolerance(name), $"{model} grad {name}: relative Frobenius difference {relative:E2}");
        }
    }

    /// <summary>
    /// The values after one Adam step against <c>{model}.step.after.*</c>: Adam's first step is ±lr per element, so an
    /// element whose near-zero gradient has the other sign lands 2·lr away, no further, and only a few elements may differ at all.
    /// <paramref name="compared"/> picks the elements a parameter is compared on (default: all).
    /// </summary>
    public static void MatchAdamStep(string model, IReadOnlyDictionary<string, TorchSharp.Modules.Parameter> parameters, IEnumerable<string> stored, double lr,
        Func<string, Tensor, Tensor>? compared = null)
    {
        foreach (var name in stored)
        {
            var diff = (parameters[name].detach() - Get($"{model}.step.after.{name}")).abs();
            if (compared is not null) diff = compared(name, diff);
            Assert.True(diff.max().item<float>() <= 2 * lr + 1e-6, $"{model} after {name}: max |diff| {diff.max().item<float>():E2}");
            Assert.True(diff.gt(1e-6).to(ScalarType.Float32).mean().item<float>() <= 0.01, $"{model} after {name}: too many elements off");
        }
    }
}
