using System.CommandLine;
using ClinFuse.Core.Tasks;
using ClinFuse.Features.Images;
using ClinFuse.Preparation;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse prepare</c>: cohort store to model-ready splits and an image cache.</summary>
internal static class PrepareCommand
{
    public static Command Create()
    {
        var cohort = new Option<DirectoryInfo>("--cohort") { Description = "Cohort store written by `clinfuse extract`.", Required = true };
        var task = CommonOptions.Task("Task: ihm (48 h in-hospital mortality) or phenotyping (25 CCS labels).");
        var cxr = CommonOptions.MimicCxr("MIMIC-CXR-JPG folder the cohort's image paths are relative to (default: the folder `extract` read).");
        var clahe = new Option<bool>("--clahe") { Description = "Apply CLAHE (clip 2.0, 8x8 tiles) to every image, as the paper does (--clahe false to skip).", DefaultValueFactory = _ => true };
        var normalizer = CommonOptions.Choice("--normalizer", "Series normalisation: fit (on the training split) or reference (MedFuse's published statistics).",
            [("fit", NormalizerSource.FitTraining), ("reference", NormalizerSource.Reference)], NormalizerSource.FitTraining);
        var shrink = new Option<bool>("--fast-decode") { Description = "Let the JPEG decoder downscale full-size images while decoding (several times faster, not bit-identical to the reference)." };
        var radiology = new Option<bool>("--radiology") { Description = "Also prepare the radiology pre-training set (`pretrain --encoder cxr --labels radiology`): every chest X-ray of the cohort's subjects with its study's 14 CheXpert labels (needs mimic-cxr-2.0.0-chexpert.csv[.gz] in the MIMIC-CXR-JPG folder)." };
        var imageSize = new Option<int>("--image-size")
        {
            Description = "Side of the cached square images in pixels (resize of the shorter side, then centre crop); the networks see a 7/8 crop of it: 224 px for the paper's 256. Smaller sizes train several times faster.",
            DefaultValueFactory = _ => 256,
        };
        imageSize.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v is < 32 or > 1024) r.AddError($"--image-size must be between 32 and 1024 pixels, got {v}.");
        });
        var outDir = CommonOptions.OutDir("Folder for the prepared store.");
        var force = CommonOptions.Force();
        var command = new Command("prepare", "Discretize time series to 76 hourly features, fit the normalizer and cache preprocessed images.")
        {
            cohort, task, cxr, clahe, normalizer, shrink, imageSize, radiology, outDir, force,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var options = new PrepareOptions(
                result.GetValue(cohort)!.FullName,
                result.GetValue(task),
                result.GetValue(outDir)!.FullName,
                result.GetValue(cxr)?.FullName,
                new ImagePreprocessing(Clahe: result.GetValue(clahe), ShorterSide: result.GetValue(imageSize), SlotSize: result.GetValue(imageSize), ShrinkOnLoad: result.GetValue(shrink)),
                result.GetValue(normalizer),
                result.GetValue(force),
                result.GetValue(radiology));
            var progress = CommonOptions.Progress(result);
            var summary = PrepareStage.Run(options, CommonOptions.Compute(result), progress, cancellationToken);
            var output = result.InvocationConfiguration.Output;
            if (!summary.Skipped)
            {
                foreach (var s in summary.Splits)
                    output.WriteLine($"  {s.Split,-15} {s.Samples,7} samples, {s.WithImage,6} with an image, {s.Timesteps,10} hourly steps");
                if (summary.Images is { } images)
                    output.WriteLine($"  images: {images.Present} cached, {images.Missing} missing, {images.Corrupt} unreadable ({images.FileBytes / 1e6:0.0} MB)");
            }
            output.WriteLine($"Prepared store: {summary.Folder}");
            return Task.FromResult(0);
        });
        return command;
    }
}
