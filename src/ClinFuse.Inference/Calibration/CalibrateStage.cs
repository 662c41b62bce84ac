using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Evaluation;
using ClinFuse.Inference.Prediction;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Evaluation;

namespace ClinFuse.Inference.Calibration;

/// <summary>
/// The <c>calibrate</c> command's work: predicts the validation split of the run's store (the
/// samples the run validated on) with the best checkpoint, fits <see cref="TemperatureScaling"/>
/// and stores it in the run folder.
/// </summary>
public static class CalibrateStage
{
    /// <summary>Fits and saves; returns the stored calibration.</summary>
    public static TemperatureScaling Run(string runFolder, ComputeSettings compute, Split split = Split.Validation, CancellationToken cancellationToken = default)
    {
        using var predictor = RunPredictor.Open(runFolder, compute);
        using var opened = predictor.Store.OpenSplit(split);
        var selection = SampleSelection.Create(opened, predictor.Run.Config.ValidationData);
        var wanted = new HashSet<string>(selection.Indices.Select(i => opened.StayId(i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var inputs = StaySources.FromPreparedStore(predictor.Store.Folder, split, predictor.Preprocessing).Where(s => wanted.Contains(s.Id));
        var predictions = new List<StayPrediction>();
        foreach (var prediction in predictor.Predict(inputs))
        {
            cancellationToken.ThrowIfCancellationRequested();
            predictions.Add(prediction);
        }
        var (set, _) = PredictionsOutput.ToPredictionSet(predictions, predictor.Preprocessing.Labels, new PredictionMetadata(Split: Splits.Name(split)));
        var fitted = TemperatureScaling.Fit(set);
        fitted.Save(predictor.Run.Folder);
        return fitted;
    }
}
