using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Inference.Prediction;

/// <summary>
/// One ICU stay to predict, before the run's preprocessing: its observation period as an encoded
/// episode, where the task window ends, and its chest X-ray after the offline image pipeline (the
/// slot image a prepared store would cache), if any.
/// </summary>
/// <param name="Id">The sample id written to the predictions (the stay id for stores).</param>
/// <param name="Episode">The observations of the stay.</param>
/// <param name="EndHours">Where the discretizer cuts the episode (48 h for mortality, the stay's length for phenotyping).</param>
/// <param name="Image">The preprocessed chest X-ray, or null.</param>
/// <param name="Truth">Known labels (0/1), or null for a new patient.</param>
public sealed record StayInput(string Id, SeriesEpisode Episode, double EndHours, GrayImage? Image, IReadOnlyList<int>? Truth = null);

/// <summary>
/// A stay in the model's input space: normalised hourly features and the normalised image crop.
/// </summary>
/// <param name="Id">Sample id.</param>
/// <param name="Series">Row-major [steps × features], normalised.</param>
/// <param name="Steps">Hourly rows (at least 1 is given to the model).</param>
/// <param name="Image">[3 × S × S] normalised crop, or null when no image is given to the model.</param>
/// <param name="Truth">Known labels, or null.</param>
public sealed record ModelInput(string Id, float[] Series, int Steps, float[]? Image, IReadOnlyList<int>? Truth);
