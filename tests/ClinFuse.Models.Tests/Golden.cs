using System.Text;
using System.Text.Json.Nodes;
using ClinFuse.Models.Networks;
using ClinFuse.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>Reads the NumPy .npy files of the golden set (C order, little-endian, version 1).</summary>
static class Npy
{
    public static Tensor Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 10 || file[0] != 0x93 || Encoding.ASCII.GetString(file, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not an .npy file");
        int headerLength = BitConverter.ToUInt16(file, 8);
        string header = Encoding.ASCII.GetString(file, 10, headerLength);
        if (header.Contains("'fortran_order': True")) throw new InvalidDataException($"{path} is Fortran-ordered");
        string descr = Between(header, "'descr': '", "'");
        string shapeText = Between(header, "'shape': (", ")");
        long[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var type = descr switch
        {
            "<f4" => ScalarType.Float32,
            "<f8" => ScalarType.Float64,
            "<i8" => ScalarType.Int64,
            "|u1" => ScalarType.Byte,
            "|b1" => ScalarType.Bool,
            _ => throw new InvalidDataException($"{path}: unsupported dtype {descr}"),
        };
        var tensor = empty(shape, type);
        tensor.bytes = file.AsSpan(10 + headerLength);
        return tensor;
    }

    static string Between(string text, string start, string end)
    {
        int i = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[i..text.IndexOf(end, i, StringComparison.Ordinal)];
    }
}

/// <summary>
/// The golden set's language-neutral weights: splitmix64 finaliser of (k &lt;&lt; 32 | j) mapped to
/// [−1, 1), scaled per state-dict entry by its rule (see tests/fixtures/model/README.md §1).
/// </summary>
static class GoldenWeights
{
    public static double V(long k, long j)
    {
        unchecked
        {
            ulong z = ((ulong)k << 32) | (ulong)j;
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            long m = (long)(z >> 40);
            return (m - 8388608) / 8388608.0;
        }
    }

    /// <summary>(a, b) of the rule for an entry; null for num_batches_tracked (int64 zero).</summary>
    public static (double A, double B)? Rule(string name, long[] shape)
    {
        string last = name[(name.LastIndexOf('.') + 1)..];
        if (last == "num_batches_tracked") return null;
        if (last == "running_mean") return (0, 0.1);
        if (last == "running_var") return (1, 0.25);
        if (shape.Length == 1) return last.EndsWith("weight", StringComparison.Ordinal) ? (1, 0.1) : (0, 0.1);
        long fanIn = shape.Aggregate(1L, (a, s) => a * s) / shape[0];
        return (0, Math.Sqrt(3.0 / fanIn));
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(long, long, double, double), float[]> Cache = new();

    /// <summary>The formula values of entry k (cached: every test network shares the same 25 M numbers).</summary>
    public static float[] Values(long k, long numel, double a, double b) =>
        Cache.GetOrAdd((k, numel, a, b), key => Generate(key.Item1, key.Item2, key.Item3, key.Item4));

    static float[] Generate(long k, long numel, double a, double b)
    {
        var values = new float[numel];
        Parallel.For(0, numel, j =>
        {
            double bv = b * V(k, j);
            values[j] = (float)(a + bv);
        });
        return values;
    }

    /// <summary>Fills every state-dict entry of <paramref name="module"/>; <paramref name="kOf"/> gives the golden k of a name.</summary>
    public static void Apply(nn.Module module, Func<string, long> kOf, string prefix = "")
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in module.state_dict())
        {
            var rule = Rule(name, tensor.shape);
            if (rule is null)
            {
                tensor.zero_();
                continue;
            }
            var values = Values(kOf(prefix + name), tensor.numel(), rule.Value.A, rule.Value.B);
            tensor.copy_(torch.tensor(values).reshape(tensor.shape));
        }
    }
}

/// <summary>One row of keys_pheno.txt.</summary>
sealed record GoldenKey(long K, string Name, string DType, long[] Shape, double Sum, double SumSq, float[] First3);

/// <summary>The golden fixtures: inputs, expected files, tolerances and a network with the formula weights.</summary>
static class Golden
{
    static readonly Lazy<JsonObject> Index = new(() => (JsonObject)JsonNode.Parse(File.ReadAllText(Fixtures.Path("model", "goldens.json")))!);

    public static Tensor Load(string name) => Npy.Read(Fixtures.Path("model", name + ".npy"));

    public static JsonNode Tol(string name) => Index.Value["files"]![name + ".npy"]!["tol"]!;

    public static double Atol(string name) => Tol(name)["atol"]!.GetValue<double>();

    public static double Scalar(string group, string name) => Index.Value[group]![name]!["value"]!.GetValue<double>();

    public static double ScalarAtol(string group, string name) => Index.Value[group]![name]!["atol"]!.GetValue<double>();

    public static IReadOnlyList<GoldenKey> Keys(string file = "keys_pheno.txt") =>
        File.ReadAllLines(Fixtures.Path("model", file)).Skip(1).Select(line =>
        {
            var c = line.Split('\t');
            long[] shape = c[3] == "scalar" ? [] : c[3].Split('x').Select(long.Parse).ToArray();
            return new GoldenKey(long.Parse(c[0]), c[1], c[2], shape, double.Parse(c[9]), double.Parse(c[10]), c[11].Split(',').Select(float.Parse).ToArray());
        }).ToList();

    static readonly Lazy<Dictionary<string, long>> KByName = new(() => Keys().ToDictionary(k => k.Name, k => k.K));

    public static long K(string name) => KByName.Value[name];

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(ModelKind, int, MissingImageMode), FusionNetwork> SharedNetworks = new();

    /// <summary>An eval-mode network shared by the tests that only run forward passes (never dispose or train it).</summary>
    public static FusionNetwork Shared(ModelKind fusion, int numClasses = 25, MissingImageMode mode = MissingImageMode.ZeroImage) =>
        SharedNetworks.GetOrAdd((fusion, numClasses, mode), key =>
            // Built on a pool thread, outside the calling test's dispose scope, so that nothing of it is disposed with that scope.
            Task.Run(() => Network(key.Item1, key.Item2, key.Item3)).GetAwaiter().GetResult());

    /// <summary>A phenotyping (25 labels) or IHM (1 label) reference network with the formula weights, in eval mode.</summary>
    public static FusionNetwork Network(ModelKind fusion, int numClasses = 25, MissingImageMode mode = MissingImageMode.ZeroImage, double ehrDropout = 0.3, double transformerDropout = 0.1)
    {
        var network = new FusionNetwork(ModelConfig.Reference(fusion, numClasses) with { MissingImage = mode, EhrDropout = ehrDropout, TransformerDropout = transformerDropout });
        GoldenWeights.Apply(network, K);
        network.eval();
        return network;
    }

    /// <summary>The golden batch: 4 samples, lengths [30,48,5,1], sample 2 without an image.</summary>
    /// <remarks>Only the present images are passed; the zero-image mode rebuilds the reference's all-zero image of sample 2.</remarks>
    public static FusionBatch Batch(string labels = "in_y_pheno")
    {
        var hasImage = Load("in_pairs").to(ScalarType.Bool);
        var images = Load("in_img").index_select(0, hasImage.nonzero().squeeze(1));
        var y = Load(labels);
        if (y.dim() == 1) y = y.unsqueeze(1);
        return new FusionBatch(Load("in_ehr"), Load("in_seq_lengths"), images, hasImage, y.to(ScalarType.Float32));
    }

    /// <summary>Max |actual − expected| after checking shapes.</summary>
    public static double MaxDiff(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        return (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();
    }

    /// <summary>Asserts the golden file's elementwise tolerance.</summary>
    public static void Match(string name, Tensor actual)
    {
        double diff = MaxDiff(actual.detach(), Load(name)), atol = Atol(name);
        Assert.True(diff <= atol, $"{name}: max |diff| {diff:E3} > atol {atol:E1}");
    }
}
