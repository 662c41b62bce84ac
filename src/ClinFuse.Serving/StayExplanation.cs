using System.Text.Json.Serialization;
using ClinFuse.Features.Images;
using ClinFuse.Inference.Explanations;
using ClinFuse.Inference.Prediction;
using SkiaSharp;

namespace ClinFuse.Serving;

/// <summary>
/// The explanation <c>POST /predict</c> returns with <c>explain=1</c>, for the label with the highest
/// probability: integrated gradients summed per variable and hour, and, when an image was given,
/// the CLAHE'd crop the model saw and the Grad-CAM heat layer (transparent PNG of the same size).
/// </summary>
internal sealed record StayExplanation(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("channels")] IReadOnlyList<string> Channels,
    [property: JsonPropertyName("hours")] int Hours,
    [property: JsonPropertyName("by_channel")] double[] ByChannel,
    [property: JsonPropertyName("output")] double Output,
    [property: JsonPropertyName("baseline_output")] double BaselineOutput,
    [property: JsonPropertyName("attribution_sum")] double AttributionSum,
    [property: JsonPropertyName("image_png")] string? ImagePng,
    [property: JsonPropertyName("gradcam_png")] string? GradCamPng)
{
    /// <summary>Computes the explanation of <paramref name="prediction"/> for <paramref name="stay"/>.</summary>
    public static StayExplanation Compute(RunPredictor predictor, StayInput stay, ModelInput input, StayPrediction prediction)
    {
        int label = Array.IndexOf(prediction.Probabilities, prediction.Probabilities.Max());
        var ig = Explainer.IntegratedGradients(predictor, input, label);
        string? image = null, cam = null;
        if (input.Image is not null && stay.Image is not null && predictor.Model is Training.Modeling.FusionModel)
        {
            var crop = CxrTransforms.CentreCrop(stay.Image, predictor.Preprocessing.CropSize);
            image = DataUrl(ImageWriter.EncodePng(crop));
            cam = DataUrl(HeatPng(Explainer.GradCam(predictor, input, label)));
        }
        return new StayExplanation(predictor.Preprocessing.Labels[label], ig.Channels, ig.Steps, ig.ByChannel, ig.Output, ig.BaselineOutput, ig.Sum, image, cam);
    }

    static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    /// <summary>The map as red with opacity rising with the value (at most 0.6).</summary>
    static byte[] HeatPng(GradCamMap map)
    {
        using var bitmap = new SKBitmap(map.Size, map.Size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[map.Size * map.Size * 4];
        for (int i = 0; i < map.Map.Length; i++)
        {
            float v = map.Map[i];
            pixels[4 * i] = 255;
            pixels[4 * i + 1] = (byte)(200 * (1 - v));
            pixels[4 * i + 2] = 0;
            pixels[4 * i + 3] = (byte)(153 * v);
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
