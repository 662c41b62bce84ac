using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;
using ClinFuse.Preparation.Images;

namespace ClinFuse.Inference.Prediction;

/// <summary>
/// The preprocessing a run was trained with, read from the prepared store it names: the task
/// window, the 76-feature discretizer with the store's normaliser, the offline image pipeline
/// (resize, CLAHE, slot size) and the evaluation crop, and whether the model is given images.
/// Applying it to a stay of that store gives exactly the model input <c>prepare</c> wrote.
/// </summary>
public sealed class RunPreprocessing
{
    /// <summary>The evaluation crop of the store's image slots, as training served it (7/8 of the slot: 224 px for the reference's 256).</summary>
    public int CropSize => CachedImageSource.CropSize(Images?.SlotSize ?? 256);

    RunPreprocessing(ClinicalTask task, IReadOnlyList<string> labels, Normalizer normalizer, ImagePreprocessing? images, DatasetMode mode, bool usesImages)
    {
        Task = task;
        Labels = labels;
        Normalizer = normalizer;
        Images = images;
        Mode = mode;
        GivesImages = usesImages && images is not null && mode is DatasetMode.Paired or DatasetMode.Partial;
    }

    /// <summary>The task.</summary>
    public ClinicalTask Task { get; }

    /// <summary>Output names.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The discretizer (reference channels, 1 h steps).</summary>
    public Discretizer Discretizer { get; } = new();

    /// <summary>The normaliser of the run's store.</summary>
    public Normalizer Normalizer { get; }

    /// <summary>The offline image pipeline of the run's store; null for a series-only store.</summary>
    public ImagePreprocessing? Images { get; }

    /// <summary>The dataset mode the run is evaluated in.</summary>
    public DatasetMode Mode { get; }

    /// <summary>Whether chest X-rays are given to the model.</summary>
    public bool GivesImages { get; }

    /// <summary>Whether a stay without an image cannot be predicted (paired-only runs such as the image-only model).</summary>
    public bool RequiresImage => Mode is DatasetMode.Paired or DatasetMode.PairedEhrOnly;

    /// <summary>Reads the preprocessing of <paramref name="run"/> from its prepared store.</summary>
    public static RunPreprocessing For(TrainedRun run, PreparedStore store)
    {
        var normalizerPath = Path.Combine(store.Folder, PreparedStore.NormalizerFile);
        if (!File.Exists(normalizerPath))
            throw new ClinFuseException($"The run's prepared store {store.Folder} has no {PreparedStore.NormalizerFile}.", "Prepare the store again with `clinfuse prepare`; new stays must be normalised as the training stays were.");
        var normalizer = Normalizer.Load(normalizerPath);
        ImagePreprocessing? images = null;
        if (store.HasImages)
            images = store.Recipe?.Images
                ?? throw new ClinFuseException($"The manifest of {store.Folder} does not record its image preprocessing.", "Prepare the store again with `clinfuse prepare --force`.");
        var task = store.Labels.ClinicalTask;
        return new RunPreprocessing(task, run.Labels, normalizer, images, run.Config.ValidationData, run.Config.UsesImages);
    }

    /// <summary>Where the task window of a stay with <paramref name="periodHours"/> (its length of stay; 0 when unknown) ends.</summary>
    public double EndHours(double periodHours) => EpisodeWindow.EndHours(Task, periodHours);

    /// <summary>The model input of <paramref name="stay"/>: discretised and normalised series, centre-cropped normalised image.</summary>
    public ModelInput ToModelInput(StayInput stay)
    {
        var matrix = Discretizer.Transform(stay.Episode, stay.EndHours, Normalizer);
        float[]? image = GivesImages && stay.Image is { } slot ? CxrTransforms.ToNormalizedTensor(CxrTransforms.CentreCrop(slot, CropSize)) : null;
        return new ModelInput(stay.Id, matrix.Values, matrix.Steps, image, stay.Truth);
    }

    /// <summary>The slot image of an encoded chest X-ray, or null when the run's store has no images.</summary>
    public GrayImage? LoadImage(byte[] encoded, string name) => Images?.LoadSlot(encoded, name);

    /// <summary>The slot image of a chest X-ray file, or null when the run's store has no images.</summary>
    public GrayImage? LoadImage(string path) => Images?.LoadSlot(path);

    /// <summary>A short description for model descriptors.</summary>
    public object Describe() => new
    {
        task = ClinicalTasks.Name(Task),
        features = Discretizer.ColumnCount,
        window_hours = Task == ClinicalTask.InHospitalMortality ? (double?)EpisodeWindow.InHospitalMortalityHours : null,
        images = Images,
        image_crop = GivesImages ? CropSize : (int?)null,
        gives_images = GivesImages,
        requires_image = RequiresImage,
        mode = Mode.ToString(),
    };
}
