using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Inference.Prediction;

/// <summary>Where the stays of a <c>predict</c> come from.</summary>
public enum PredictSourceKind
{
    /// <summary>A cohort store written by <c>clinfuse extract</c> (raw series and image paths).</summary>
    Cohort,
    /// <summary>A MIMIC-IV folder (any layout <c>extract</c> reads), extracted into a temporary cohort store first.</summary>
    Mimic,
    /// <summary>A prepared store written by <c>clinfuse prepare</c> (model-ready samples).</summary>
    Prepared,
    /// <summary>One episode time-series CSV with an optional image.</summary>
    Episode,
}

/// <summary>What <c>clinfuse predict</c> asks for.</summary>
/// <param name="RunFolder">The finished run.</param>
/// <param name="Kind">Which source.</param>
/// <param name="Path">The cohort store, MIMIC-IV folder, prepared store or episode CSV.</param>
/// <param name="OutputFolder">Where predictions.csv and predictions.json go (written atomically).</param>
/// <param name="Compute">Threads and device.</param>
/// <param name="Split">For stores and MIMIC-IV folders: one split (null: every split of a cohort; prepared stores need one).</param>
/// <param name="CxrRoot">For cohort stores: the MIMIC-CXR-JPG folder (null: where the extraction read); for a MIMIC-IV folder: the MIMIC-CXR-JPG folder to link (null: no images).</param>
/// <param name="Image">For an episode: its chest X-ray.</param>
/// <param name="Hours">For an episode: the length of stay in hours (phenotyping window; default the last observation).</param>
/// <param name="Id">For an episode: the sample id (default the file name).</param>
/// <param name="Force">Replace a non-empty output folder.</param>
public sealed record PredictRequest(string RunFolder, PredictSourceKind Kind, string Path, string OutputFolder, ComputeSettings Compute,
    Split? Split = null, string? CxrRoot = null, string? Image = null, double? Hours = null, string? Id = null, bool Force = false);

/// <summary>What <c>predict</c> wrote.</summary>
/// <param name="Folder">The output folder.</param>
/// <param name="Predictions">The predictions, in source order.</param>
/// <param name="Labels">Label names.</param>
/// <param name="ImageProblems">Stays whose image could not be read (predicted series-only).</param>
public sealed record PredictResult(string Folder, IReadOnlyList<StayPrediction> Predictions, IReadOnlyList<string> Labels, IReadOnlyList<string> ImageProblems);

/// <summary>The <c>predict</c> command's work: open the run, read the stays, predict, write both files.</summary>
public static class PredictStage
{
    /// <summary>Runs a request.</summary>
    public static PredictResult Run(PredictRequest request, IStageProgress progress, CancellationToken cancellationToken = default)
    {
        if (request.Kind == PredictSourceKind.Prepared && request.Split is null)
            throw new ClinFuseException("--split is required with --data (a prepared store).", "Name the split to predict: test, val or train.", ExitCodes.Usage);
        using var predictor = RunPredictor.Open(request.RunFolder, request.Compute);
        using var extracted = request.Kind == PredictSourceKind.Mimic ? Extract(request, predictor, progress, cancellationToken) : null;
        var problems = new List<string>();
        var parallel = request.Compute.ParallelOptions(cancellationToken);
        IEnumerable<StayPrediction> predictions = request.Kind switch
        {
            PredictSourceKind.Cohort => predictor.Predict(StaySources.FromCohort(request.Path, predictor.Preprocessing, request.Split, request.CxrRoot, problems.Add), parallel),
            PredictSourceKind.Mimic => predictor.Predict(StaySources.FromCohort(extracted!.Cohort, predictor.Preprocessing, request.Split, null, problems.Add), parallel),
            PredictSourceKind.Prepared => predictor.Predict(StaySources.FromPreparedStore(request.Path, request.Split!.Value, predictor.Preprocessing)),
            _ => predictor.Predict([ReadEpisode(request, predictor)], parallel),
        };
        var list = new List<StayPrediction>();
        using (var step = progress.Step("predict", null, "stays"))
        {
            foreach (var prediction in predictions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                list.Add(prediction);
                step.Advance();
            }
        }
        if (list.Count == 0)
            throw new ClinFuseException($"{request.Path} has no stays for the run's task{(request.Split is null ? "" : $" in the '{request.Split}' split")}.", "Check the source and --split.");
        using var output = StageOutput.Begin(request.OutputFolder, request.Force);
        PredictionsOutput.Write(output.Path, list, predictor, $"{request.Kind.ToString().ToLowerInvariant()}:{System.IO.Path.GetFullPath(request.Path)}");
        output.Commit();
        return new PredictResult(output.FinalPath, list, predictor.Preprocessing.Labels, problems);
    }

    /// <summary>
    /// Extracts a MIMIC-IV folder (with its MIMIC-CXR-JPG folder, if given) into a temporary cohort
    /// store, as <c>clinfuse extract</c> does, with the recipe of the cohort the run's store was
    /// prepared from (compat mode, split mode, seed, validation share), so that the run's own stays keep their split.
    /// </summary>
    static TemporaryCohort Extract(PredictRequest request, RunPredictor predictor, IStageProgress progress, CancellationToken cancellationToken)
    {
        var options = new ExtractionOptions { MimicIv = request.Path, MimicCxr = request.CxrRoot, Out = "" };
        var cohortFolder = predictor.Store.Recipe?.Cohort;
        if ((cohortFolder is null ? null : StageManifest.TryRead(cohortFolder)?.ConfigAs<ExtractConfig>(cohortFolder)) is { } recipe)
            options = options with { Compat = recipe.CompatMode, Split = recipe.SplitMode, Seed = recipe.Seed, ValidationFraction = recipe.ValidationFraction };
        else
            progress.Info($"The cohort the run's store was prepared from is not readable; splitting {request.Path} with the default seed {options.Seed}.");
        var temporary = new TemporaryCohort(Directory.CreateTempSubdirectory("clinfuse-predict-").FullName);
        try
        {
            Extractor.RunAsync(options with { Out = temporary.Cohort }, request.Compute, progress, cancellationToken).GetAwaiter().GetResult();
            return temporary;
        }
        catch
        {
            temporary.Dispose();
            throw;
        }
    }

    /// <summary>A cohort store in a temporary folder, deleted when disposed.</summary>
    sealed class TemporaryCohort(string folder) : IDisposable
    {
        public string Cohort { get; } = System.IO.Path.Combine(folder, "cohort");

        public void Dispose()
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    static StayInput ReadEpisode(PredictRequest request, RunPredictor predictor)
    {
        if (!File.Exists(request.Path))
            throw new ClinFuseException($"Episode file not found: {request.Path}", "Pass an episode time-series CSV (Hours + the 17 channels) as --series.");
        byte[]? image = null;
        if (request.Image is not null)
        {
            if (!File.Exists(request.Image)) throw new ClinFuseException($"Image not found: {request.Image}", "Pass a JPEG or PNG chest X-ray as --image, or leave it out.");
            if (!predictor.Preprocessing.GivesImages)
                throw new ClinFuseException($"The {predictor.ModelName} model does not take images, but --image was given.", "Leave --image out, or use a model trained with images.", ExitCodes.Usage);
            image = File.ReadAllBytes(request.Image);
        }
        using var reader = new StreamReader(request.Path);
        var id = request.Id ?? System.IO.Path.GetFileNameWithoutExtension(request.Path);
        return StaySources.FromEpisode(reader, request.Path, id, image, request.Image, predictor.Preprocessing, request.Hours);
    }
}
