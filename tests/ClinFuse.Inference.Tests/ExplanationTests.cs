using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Inference.Explanations;
using ClinFuse.Inference.Prediction;
using ClinFuse.Training.Tests.Evaluation;

namespace ClinFuse.Inference.Tests;

public sealed class ExplanationTests
{
    static readonly TrainedRunsFixture Runs = TrainedRunsFixture.Shared;

    static List<ModelInput> TestInputs(RunPredictor predictor, int count, bool withImage = true) =>
        [.. StaySources.FromCohort(Runs.CohortFolder, predictor.Preprocessing, Split.Test, null)
            .Where(s => s.Image is not null || !withImage || !predictor.Preprocessing.GivesImages).Take(count).Select(predictor.Preprocessing.ToModelInput)];

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Integrated_gradients_add_up_to_the_change_of_the_output(bool attention, bool withImage)
    {
        using var predictor = RunPredictor.Open(attention ? Runs.AttentionRun : Runs.EhrRun, new ComputeSettings(1));
        var inputs = TestInputs(predictor, 4, withImage).Select(i => withImage ? i : i with { Image = null }).ToList();
        Assert.NotEmpty(inputs);
        var predicted = predictor.Predict(inputs).ToList();
        int checkedStays = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            var ig = Explainer.IntegratedGradients(predictor, inputs[i], 0);
            Assert.Equal(predicted[i].Probabilities[0], ig.Output, 1e-5);
            Assert.Equal(inputs[i].Steps * ig.Columns, ig.Values.Length);
            Assert.Equal(ig.Sum, ig.ByChannel.Sum(), 1e-9);
            double change = ig.Output - ig.BaselineOutput;
            if (Math.Abs(change) < 1e-5) continue; // a relative error is meaningless on a flat path
            double magnitude = ig.Values.Sum(v => Math.Abs((double)v));
            Assert.True(Math.Abs(ig.Sum - change) <= 0.01 * Math.Abs(change),
                $"stay {inputs[i].Id}: attributions sum to {ig.Sum}, f(x) - f(baseline) = {change}, sum of magnitudes {magnitude}");
            checkedStays++;
        }
        Assert.True(checkedStays > 0, "no stay moved the output away from the baseline's");
    }

    [Fact]
    public void Grad_cam_is_a_normalised_map_at_the_crop_resolution_and_needs_an_image()
    {
        using var predictor = RunPredictor.Open(Runs.AttentionRun, new ComputeSettings(1));
        var input = TestInputs(predictor, 1)[0];
        var cam = Explainer.GradCam(predictor, input, 0);
        Assert.Equal(224, predictor.Preprocessing.CropSize); // the fixture store has the reference's 256-px slots
        Assert.Equal(predictor.Preprocessing.CropSize, cam.Size);
        Assert.Equal(cam.Size * cam.Size, cam.Map.Length);
        Assert.Equal(7, cam.CoarseSize);
        Assert.All(cam.Map, v => Assert.InRange(v, 0f, 1f));
        Assert.True(cam.Coarse.All(v => v == 0) ? cam.Map.All(v => v == 0) : Math.Abs(cam.Map.Max() - 1f) < 1e-6);
        // Deterministic: the same stay gives the same map.
        Assert.Equal(cam.Coarse, Explainer.GradCam(predictor, input, 0).Coarse);
        Assert.Contains("Grad-CAM needs", Assert.Throws<ClinFuseException>(() => Explainer.GradCam(predictor, input with { Image = null }, 0)).Message);
    }
}
