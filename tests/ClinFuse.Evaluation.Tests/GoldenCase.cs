using System.Text.Json;
using ClinFuse.Evaluation;

namespace ClinFuse.Evaluation.Tests;

/// <summary>One case of the reference metrics golden set (tests/fixtures/metrics/cases).</summary>
sealed class GoldenCase
{
    public static readonly string[] Names =
    [
        "ihm_binary", "pheno_multilabel", "edge_tied_scores", "edge_perfect_separation", "edge_inverse_separation",
        "edge_all_same_score", "edge_threshold_half", "edge_single_class_label", "tiny_n5",
    ];

    public static TheoryData<string> All() => new(Names);

    public static GoldenCase Load(string name) => new(JsonDocument.Parse(File.ReadAllText(Fixtures.Path("metrics", "cases", name + ".json"))).RootElement);

    GoldenCase(JsonElement root)
    {
        Root = root;
        Expected = root.GetProperty("expected");
        IsBinary = root.GetProperty("task").GetString() == "binary";
        var labels = root.GetProperty("label_names").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var yTrue = root.GetProperty("y_true").EnumerateArray().ToArray();
        var yScore = root.GetProperty("y_score").EnumerateArray().ToArray();
        int n = yTrue.Length;
        var truth = new byte[labels.Length][];
        var scores = new double[labels.Length][];
        for (int l = 0; l < labels.Length; l++)
        {
            truth[l] = new byte[n];
            scores[l] = new double[n];
            for (int i = 0; i < n; i++)
            {
                truth[l][i] = (byte)(IsBinary ? yTrue[i] : yTrue[i][l]).GetInt32();
                scores[l][i] = (IsBinary ? yScore[i] : yScore[i][l]).GetDouble();
            }
        }
        Set = new PredictionSet(Enumerable.Range(0, n).Select(i => i.ToString()).ToArray(), labels, truth, scores, new PredictionMetadata(Task: IsBinary ? "ihm" : "phenotyping"));
    }

    public JsonElement Root { get; }
    public JsonElement Expected { get; }
    public bool IsBinary { get; }
    public PredictionSet Set { get; }

    /// <summary>A RESULT object: the number, or null when the reference raised.</summary>
    public static double? Value(JsonElement result) =>
        result.TryGetProperty("error", out _) ? null : result.GetProperty("value").GetDouble();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
