using ClinFuse.Core.Tasks;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Evaluation;

namespace ClinFuse.Inference.Calibration;

/// <summary>Reliability of a set of probabilities: negative log-likelihood, Brier score and the two ECEs, pooled over labels.</summary>
/// <param name="Nll">Mean binary cross-entropy.</param>
/// <param name="Brier">Mean squared error.</param>
/// <param name="Ece">Reliability-diagram ECE on the positive class (15 bins), pooled over labels.</param>
public sealed record Reliability(double Nll, double Brier, double Ece);

/// <summary>
/// Temperature scaling (Guo et al. 2017) for sigmoid outputs: one temperature T shared by every
/// label, p' = σ(logit(p) / T), fitted on the validation split by minimising the negative
/// log-likelihood (a convex problem in 1/T, solved by golden-section search). Stored with the run as
/// <c>calibration.json</c>; <c>predict</c> and <c>serve</c> apply it.
/// </summary>
public sealed record TemperatureScaling
{
    /// <summary>The file inside the run folder.</summary>
    public const string FileName = "calibration.json";

    /// <summary>The format name written into the file.</summary>
    public const string FormatName = "clinfuse-calibration/1";

    /// <summary>File format.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;

    /// <summary>The temperature (greater than 1 softens over-confident outputs).</summary>
    [JsonPropertyName("temperature")] public double Temperature { get; init; } = 1;

    /// <summary>The split it was fitted on.</summary>
    [JsonPropertyName("fitted_on")] public string FittedOn { get; init; } = Splits.Name(Split.Validation);

    /// <summary>Samples × labels used for the fit.</summary>
    [JsonPropertyName("values")] public long Values { get; init; }

    /// <summary>Reliability on the fitting split before scaling.</summary>
    [JsonPropertyName("before")] public Reliability? Before { get; init; }

    /// <summary>Reliability on the fitting split after scaling.</summary>
    [JsonPropertyName("after")] public Reliability? After { get; init; }

    /// <summary>Below this many validation values the fitted temperature is reported as unreliable.</summary>
    public const int ReliableValues = 100;

    const double MinInverse = 1e-3, MaxInverse = 100;
    const double Clamp = 1e-7;

    /// <summary>σ(logit(p) / T) for each probability.</summary>
    public double[] Apply(IReadOnlyList<double> probabilities)
    {
        var result = new double[probabilities.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Scale(probabilities[i], 1 / Temperature);
        return result;
    }

    static double Scale(double p, double inverseTemperature)
    {
        p = Math.Clamp(p, Clamp, 1 - Clamp);
        return 1 / (1 + Math.Exp(-Math.Log(p / (1 - p)) * inverseTemperature));
    }

    /// <summary>Fits T on <paramref name="set"/> (every label pooled).</summary>
    public static TemperatureScaling Fit(PredictionSet set)
    {
        var probabilities = new List<double>();
        var truth = new List<byte>();
        for (int l = 0; l < set.Labels.Count; l++)
        {
            probabilities.AddRange(set.Probabilities[l]);
            truth.AddRange(set.Truth[l]);
        }
        return Fit(probabilities, truth, set.Metadata.Split ?? Splits.Name(Split.Validation));
    }

    /// <summary>Fits T on pooled probabilities and outcomes.</summary>
    public static TemperatureScaling Fit(IReadOnlyList<double> probabilities, IReadOnlyList<byte> truth, string fittedOn)
    {
        if (probabilities.Count == 0 || probabilities.Count != truth.Count)
            throw new ClinFuseException("Calibration needs at least one prediction with its outcome.", "Fit it on a split with samples (the validation split).");
        double Nll(double inverse)
        {
            double sum = 0;
            for (int i = 0; i < probabilities.Count; i++)
            {
                double q = Math.Clamp(Scale(probabilities[i], inverse), 1e-12, 1 - 1e-12);
                sum -= truth[i] == 1 ? Math.Log(q) : Math.Log(1 - q);
            }
            return sum / probabilities.Count;
        }
        // Golden-section search on log(1/T): the NLL is convex in 1/T.
        double a = Math.Log(MinInverse), b = Math.Log(MaxInverse);
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double c = b - ratio * (b - a), d = a + ratio * (b - a);
        double fc = Nll(Math.Exp(c)), fd = Nll(Math.Exp(d));
        for (int iteration = 0; iteration < 100 && b - a > 1e-9; iteration++)
        {
            if (fc < fd) { b = d; d = c; fd = fc; c = b - ratio * (b - a); fc = Nll(Math.Exp(c)); }
            else { a = c; c = d; fc = fd; d = a + ratio * (b - a); fd = Nll(Math.Exp(d)); }
        }
        double best = Math.Exp((a + b) / 2);
        var fitted = new TemperatureScaling { Temperature = 1 / best, FittedOn = fittedOn, Values = probabilities.Count };
        return fitted with { Before = Measure(probabilities, truth), After = Measure(fitted.Apply(probabilities), truth) };
    }

    /// <summary>NLL, Brier and ECE of pooled probabilities.</summary>
    public static Reliability Measure(IReadOnlyList<double> probabilities, IReadOnlyList<byte> truth)
    {
        double nll = 0, brier = 0;
        for (int i = 0; i < probabilities.Count; i++)
        {
            double q = Math.Clamp(probabilities[i], 1e-12, 1 - 1e-12);
            nll -= truth[i] == 1 ? Math.Log(q) : Math.Log(1 - q);
            brier += (probabilities[i] - truth[i]) * (probabilities[i] - truth[i]);
        }
        var ece = Evaluation.Metrics.Calibration.Compute([.. probabilities], [.. truth]).EcePositiveClass;
        return new Reliability(nll / probabilities.Count, brier / probabilities.Count, ece);
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes <c>calibration.json</c> into <paramref name="runFolder"/> atomically.</summary>
    public void Save(string runFolder) => AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The calibration stored in <paramref name="runFolder"/>, or null when there is none; a malformed file is an error naming it.</summary>
    public static TemperatureScaling? TryLoad(string runFolder)
    {
        var path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        TemperatureScaling? loaded;
        try { loaded = JsonSerializer.Deserialize<TemperatureScaling>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new ClinFuseException($"{path} is not valid JSON: {e.Message}", "Delete it and run `clinfuse calibrate --run` again."); }
        if (loaded is null || loaded.Format != FormatName || !double.IsFinite(loaded.Temperature) || loaded.Temperature <= 0)
            throw new ClinFuseException($"{path} is not a {FormatName} file with a positive temperature.", "Delete it and run `clinfuse calibrate --run` again.");
        return loaded;
    }
}
