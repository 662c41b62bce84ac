using System.Text.Json;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Evaluation;

namespace ClinFuse.Inference.Prediction;

/// <summary>One stay in <c>predictions.json</c> and in the service's answer.</summary>
public sealed record StayPredictionJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("has_image")] bool HasImage,
    [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, double> Probabilities,
    [property: JsonPropertyName("calibrated")] IReadOnlyDictionary<string, double>? Calibrated,
    [property: JsonPropertyName("attention")] IReadOnlyList<TokenAttention> Attention,
    [property: JsonPropertyName("truth")] IReadOnlyDictionary<string, int>? Truth)
{
    /// <summary>The JSON form of <paramref name="prediction"/> with <paramref name="labels"/> as keys.</summary>
    public static StayPredictionJson From(StayPrediction prediction, IReadOnlyList<string> labels)
    {
        static Dictionary<string, T> ByLabel<T>(IReadOnlyList<string> names, IReadOnlyList<T> values)
        {
            var map = new Dictionary<string, T>(names.Count);
            for (int l = 0; l < names.Count; l++) map[names[l]] = values[l];
            return map;
        }
        return new StayPredictionJson(prediction.Id, prediction.HadImage, ByLabel(labels, prediction.Probabilities),
            prediction.Calibrated is null ? null : ByLabel(labels, prediction.Calibrated), prediction.Attention,
            prediction.Truth is null ? null : ByLabel(labels, prediction.Truth));
    }
}

/// <summary>
/// The two files <c>predict</c> writes: the predictions CSV (<c>clinfuse-predictions/1</c>, the
/// model's probabilities, truth cells empty where the outcome is unknown) and <c>predictions.json</c>
/// (calibrated probabilities and attention weights as well).
/// </summary>
public static class PredictionsOutput
{
    /// <summary>File names.</summary>
    public const string CsvFile = "predictions.csv", JsonFile = "predictions.json";

    /// <summary>The JSON options of every document the inference library writes.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The Evaluation library's form of the predictions and, per row, whether its truth is known.</summary>
    public static (PredictionSet Set, bool[] TruthKnown) ToPredictionSet(IReadOnlyList<StayPrediction> predictions, IReadOnlyList<string> labels, PredictionMetadata metadata)
    {
        var truth = new byte[labels.Count][];
        var probabilities = new double[labels.Count][];
        for (int l = 0; l < labels.Count; l++)
        {
            truth[l] = new byte[predictions.Count];
            probabilities[l] = new double[predictions.Count];
            for (int i = 0; i < predictions.Count; i++)
            {
                probabilities[l][i] = predictions[i].Probabilities[l];
                truth[l][i] = (byte)(predictions[i].Truth?[l] ?? 0);
            }
        }
        var known = predictions.Select(p => p.Truth is not null).ToArray();
        return (new PredictionSet([.. predictions.Select(p => p.Id)], labels, truth, probabilities, metadata), known);
    }

    /// <summary>Writes both files into <paramref name="folder"/>.</summary>
    public static void Write(string folder, IReadOnlyList<StayPrediction> predictions, RunPredictor predictor, string source)
    {
        var labels = predictor.Preprocessing.Labels;
        var metadata = new PredictionMetadata(Describe(predictor).Task, predictor.ModelName, null,
            [KeyValuePair.Create("run", predictor.Run.Folder), KeyValuePair.Create("source", source)]);
        var (set, known) = ToPredictionSet(predictions, labels, metadata);
        PredictionsFile.Write(Path.Combine(folder, CsvFile), set, known);
        var document = new
        {
            format = "clinfuse-predict/1",
            run = predictor.Run.Folder,
            model = predictor.ModelName,
            task = metadata.Task,
            source,
            labels,
            temperature = predictor.Calibration?.Temperature,
            stays = predictions.Select(p => StayPredictionJson.From(p, labels)),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, JsonFile), JsonSerializer.Serialize(document, Json));
    }

    /// <summary>The model descriptor served at <c>GET /model</c> and used in file headers.</summary>
    public static ServedModel Describe(RunPredictor predictor) => new(
        predictor.ModelName,
        predictor.Run.Config.Model.ToString(),
        Core.Tasks.ClinicalTasks.Name(predictor.Preprocessing.Task),
        predictor.Preprocessing.Labels,
        predictor.Calibration?.Temperature,
        predictor.Preprocessing.Describe(),
        new Dictionary<string, string>
        {
            ["run"] = Path.GetFileName(predictor.Run.Folder),
            ["seed"] = predictor.Run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["store"] = Path.GetFileName(predictor.Store.Folder),
            ["product_version"] = Core.ProductInfo.Version,
        });
}

/// <summary>What a loaded model is: name, task, labels, calibration, preprocessing and provenance.</summary>
public sealed record ServedModel(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("fusion")] string Fusion,
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("temperature")] double? Temperature,
    [property: JsonPropertyName("preprocessing")] object Preprocessing,
    [property: JsonPropertyName("provenance")] IReadOnlyDictionary<string, string> Provenance);
