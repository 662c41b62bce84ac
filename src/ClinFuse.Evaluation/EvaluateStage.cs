using ClinFuse.Core;

namespace ClinFuse.Evaluation;

/// <summary>What <c>clinfuse evaluate --predictions</c> was asked to do.</summary>
/// <param name="PredictionsPath">The predictions CSV to evaluate.</param>
/// <param name="Resamples">Bootstrap resamples (0: no intervals).</param>
/// <param name="Seed">Seed of the resamples.</param>
/// <param name="JsonPath">Where to write metrics.json; null: do not write.</param>
/// <param name="ComparePath">A second predictions CSV of the same samples for a paired comparison; null: none.</param>
public sealed record EvaluateRequest(string PredictionsPath, int Resamples, int Seed, string? JsonPath = null, string? ComparePath = null);

/// <summary>The evaluate stage on a predictions file: read, evaluate, optionally compare, write metrics.json.</summary>
public static class EvaluateStage
{
    /// <summary>Runs <paramref name="request"/>; user errors are <see cref="ClinFuseException"/>s.</summary>
    public static MetricsResult Run(EvaluateRequest request, ComputeSettings compute, CancellationToken cancellationToken = default)
    {
        if (request.Resamples < 0)
            throw new ClinFuseException($"--bootstrap must be 0 or more, got {request.Resamples}.", "Use 1000 (the reference) or 0 for no confidence intervals.", ExitCodes.Usage);
        if (request.ComparePath is not null && request.Resamples == 0)
            throw new ClinFuseException("--compare needs bootstrap resamples, but --bootstrap is 0.", "Leave --bootstrap at its default (1000).", ExitCodes.Usage);
        var parallel = compute.ParallelOptions(cancellationToken);
        var set = PredictionsFile.Read(request.PredictionsPath);
        var result = Evaluator.Evaluate(set, request.Resamples, request.Seed, parallel, request.PredictionsPath);
        if (request.ComparePath is not null)
        {
            var other = PredictionsFile.Read(request.ComparePath);
            result = result with { Comparison = PairedComparison.Compare(set, other, request.Resamples, request.Seed, parallel, request.ComparePath) };
        }
        if (request.JsonPath is not null) MetricsJson.Write(request.JsonPath, result);
        return result;
    }
}
