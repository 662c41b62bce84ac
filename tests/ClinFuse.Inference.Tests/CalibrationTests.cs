using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Inference.Calibration;
using ClinFuse.Inference.Prediction;
using ClinFuse.Training.Tests.Evaluation;

namespace ClinFuse.Inference.Tests;

public sealed class CalibrationTests
{
    [Fact]
    public void Temperature_scaling_recovers_the_overconfidence_of_planted_scores()
    {
        // Outcomes follow σ(z); the model reports σ(2z): twice too confident, so T should be about 2.
        var random = new Random(5);
        var probabilities = new List<double>();
        var truth = new List<byte>();
        for (int i = 0; i < 20_000; i++)
        {
            double z = (random.NextDouble() * 2 - 1) * 3;
            truth.Add(random.NextDouble() < 1 / (1 + Math.Exp(-z)) ? (byte)1 : (byte)0);
            probabilities.Add(1 / (1 + Math.Exp(-2 * z)));
        }
        var fitted = TemperatureScaling.Fit(probabilities, truth, "val");
        Assert.InRange(fitted.Temperature, 1.8, 2.2);
        Assert.True(fitted.After!.Nll < fitted.Before!.Nll);
        Assert.True(fitted.After.Ece < fitted.Before.Ece);
        Assert.Equal(0.5, fitted.Apply([0.5])[0], 12);
    }

    [Fact]
    public void Calibrate_stores_the_temperature_with_the_run_and_predict_applies_it()
    {
        var runs = TrainedRunsFixture.Shared;
        var run = runs.CopyRun(runs.EhrRun, "calibrated-ehr");
        var fitted = CalibrateStage.Run(run, new ComputeSettings(1));
        Assert.True(fitted.After!.Nll <= fitted.Before!.Nll + 1e-12);
        Assert.Equal(fitted.Temperature, TemperatureScaling.TryLoad(run)!.Temperature);

        using var predictor = RunPredictor.Open(run, new ComputeSettings(1));
        var p = predictor.Predict(StaySources.FromPreparedStore(runs.StoreFolder, Split.Test, predictor.Preprocessing).Take(3)).ToList();
        foreach (var prediction in p)
        {
            double logit = Math.Log(prediction.Probabilities[0] / (1 - prediction.Probabilities[0]));
            Assert.Equal(1 / (1 + Math.Exp(-logit / fitted.Temperature)), prediction.Calibrated![0], 9);
        }

        File.WriteAllText(Path.Combine(run, TemperatureScaling.FileName), "{\"format\": \"clinfuse-calibration/1\", \"temperature\": -1}");
        Assert.Contains("positive temperature", Assert.Throws<ClinFuseException>(() => RunPredictor.Open(run, new ComputeSettings(1))).Message);
    }
}
