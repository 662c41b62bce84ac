using ClinFuse.Core.Tasks;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;

namespace ClinFuse.Inference.Prediction;

/// <summary>Where <c>predict</c> reads stays from: a cohort store, a prepared store, or one episode file with an optional image.</summary>
public static class StaySources
{
    /// <summary>
    /// The samples of a cohort store for the run's task (one split, or all when <paramref name="split"/>
    /// is null), in store order, with their chest X-rays from <paramref name="cxrRoot"/> (default: the
    /// folder the extraction read). A missing or unreadable image makes the stay series-only, as in
    /// <c>prepare</c>; <paramref name="onImageProblem"/> hears of it.
    /// </summary>
    public static IEnumerable<StayInput> FromCohort(string cohortFolder, RunPreprocessing preprocessing, Split? split, string? cxrRoot, Action<string>? onImageProblem = null)
    {
        var cohort = CohortStore.Open(Path.GetFullPath(cohortFolder));
        var samples = cohort.Samples(preprocessing.Task, split);
        cxrRoot ??= cohort.Config.MimicCxr;
        if (preprocessing.GivesImages && cxrRoot is not null && !Directory.Exists(cxrRoot))
            throw new ClinFuseException($"The chest X-ray folder {cxrRoot} does not exist.", "Pass the MIMIC-CXR-JPG folder (the one holding files/) as --mimic-cxr.");
        return Read();

        IEnumerable<StayInput> Read()
        {
            foreach (var sample in samples)
            {
                var episode = PrepareStage.ReadEpisode(cohort, sample, preprocessing.Discretizer.Config);
                GrayImage? image = null;
                if (preprocessing.GivesImages && cxrRoot is not null && sample.CxrPath is not null)
                {
                    var path = Path.Combine(cxrRoot, sample.CxrPath);
                    try
                    {
                        image = File.Exists(path) ? preprocessing.LoadImage(path) : null;
                        if (image is null) onImageProblem?.Invoke($"stay {sample.StayId}: image not found: {path}");
                    }
                    catch (ClinFuseException e)
                    {
                        onImageProblem?.Invoke($"stay {sample.StayId}: {e.Message}");
                    }
                }
                yield return new StayInput(sample.StayId.ToString(CultureInfo.InvariantCulture), episode, preprocessing.EndHours(sample.PeriodHours), image, sample.Labels);
            }
        }
    }

    /// <summary>
    /// The samples of a split of a prepared store in the model's input space (already discretised,
    /// normalised and cached), every sample included.
    /// </summary>
    public static IEnumerable<ModelInput> FromPreparedStore(string storeFolder, Split split, RunPreprocessing preprocessing)
    {
        var store = PreparedStore.Open(Path.GetFullPath(storeFolder));
        if (!store.Labels.Labels.SequenceEqual(preprocessing.Labels))
            throw new ClinFuseException($"The prepared store {store.Folder} is for {store.Labels.Task} ({store.Labels.Labels.Count} labels), not for this run's labels.",
                "Predict with a run trained on the same task.");
        return Read();

        IEnumerable<ModelInput> Read()
        {
            using var opened = store.OpenSplit(split);
            var images = preprocessing.GivesImages ? store.Images(split) : null;
            try
            {
                int pixels = 3 * preprocessing.CropSize * preprocessing.CropSize;
                for (int i = 0; i < opened.Count; i++)
                {
                    var sample = opened.Get(i);
                    float[]? image = null;
                    if (images is not null && sample.ImageSlot >= 0)
                    {
                        image = new float[pixels];
                        images.Fill(sample.ImageSlot, image, ImageView.Eval);
                    }
                    yield return new ModelInput(sample.StayId.ToString(CultureInfo.InvariantCulture), sample.Series, sample.Series.Length / opened.Features, image,
                        [.. sample.Labels.Select(v => v > 0.5f ? 1 : 0)]);
                }
            }
            finally
            {
                (images as IDisposable)?.Dispose();
            }
        }
    }

    /// <summary>
    /// One stay given as an episode time-series CSV (<c>Hours</c> + the 17 channels) and an optional
    /// encoded chest X-ray. Unparseable cells are treated as missing, as in training. The task window
    /// ends at 48 h for mortality; for phenotyping at <paramref name="periodHours"/>, by default the
    /// last observation time (the stay's length).
    /// </summary>
    public static StayInput FromEpisode(TextReader csv, string source, string id, byte[]? image, string? imageName, RunPreprocessing preprocessing, double? periodHours = null)
    {
        var episode = EpisodeCsvReader.Read(csv, source, preprocessing.Discretizer.Config, InvalidValuePolicy.TreatAsMissing);
        double period = periodHours ?? (episode.EventCount == 0 ? 0 : episode.Hours[^1]);
        if (periodHours is { } given && (!double.IsFinite(given) || given < 0 || given > Discretizer.MaxEndHours))
            throw new ClinFuseException($"The stay length {given} h is outside 0..{Discretizer.MaxEndHours} h.", "Give the length of stay in hours (--hours).", ExitCodes.Usage);
        period = Math.Clamp(period, 0, Discretizer.MaxEndHours);
        var slot = image is null ? null : preprocessing.LoadImage(image, imageName ?? "image");
        return new StayInput(id, episode, preprocessing.EndHours(period), slot);
    }
}
