using ClinFuse.Core;

namespace ClinFuse.Features.Images;

/// <summary>One file <see cref="ImageExport"/> could not convert, and why.</summary>
public sealed record ImageExportFailure(string Path, string Message);

/// <summary>What <see cref="ImageExport.Run"/> wrote.</summary>
public sealed record ImageExportSummary(int Written, IReadOnlyList<string> Outputs, IReadOnlyList<ImageExportFailure> Failures);

/// <summary>
/// <c>clinfuse image</c>: decode (OpenCV gray), optionally resize to a width (Pillow BICUBIC, as
/// <c>resize.py</c>) and apply CLAHE, and save lossless PNGs — the image the model's loader starts from.
/// </summary>
public static class ImageExport
{
    /// <summary>
    /// Converts one file, or every JPEG/PNG under a folder (recursively, mirrored under
    /// <paramref name="output"/>). A bad single file throws; in a folder, bad files are listed in
    /// the summary and the others are still written.
    /// </summary>
    public static ImageExportSummary Run(string input, string output, bool clahe, int resizeWidth, ComputeSettings compute,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (resizeWidth < 0 || resizeWidth > ImagePreprocessing.MaxResizeWidth)
            throw new ClinFuseException($"--resize must be 0 (keep the size) or a width from 1 to {ImagePreprocessing.MaxResizeWidth}, got {resizeWidth}.",
                "The paper's preprocessing uses 512.", ExitCodes.Usage);
        var preprocessing = new ImagePreprocessing(ResizeWidth: resizeWidth, Clahe: clahe);

        if (File.Exists(input))
        {
            var target = Directory.Exists(output) ? Path.Combine(output, Path.GetFileNameWithoutExtension(input) + ".png") : output;
            if (!target.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new ClinFuseException($"Output {output} must be a .png file or an existing folder.", "Images are written as lossless PNG.", ExitCodes.Usage);
            ImageWriter.WritePng(preprocessing.LoadResized(input), target);
            progress?.Report(1);
            return new ImageExportSummary(1, [target], []);
        }
        if (!Directory.Exists(input))
            throw new ClinFuseException($"Input {input} does not exist.", "Give an image file (JPEG/PNG) or a folder of them.");
        if (File.Exists(output))
            throw new ClinFuseException($"Output {output} is a file, but the input is a folder.", "Give a folder for the PNGs (it is created if needed).", ExitCodes.Usage);

        var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Where(ImageDecoder.IsImageFile).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new ClinFuseException($"No .jpg, .jpeg or .png files under {input}.", "Point it at a folder of images.");

        var outputs = new string[files.Length];
        var failures = new ImageExportFailure?[files.Length];
        long done = 0;
        Parallel.For(0, files.Length, compute.ParallelOptions(cancellationToken), i =>
        {
            var relative = Path.GetRelativePath(input, files[i]);
            var target = Path.Combine(output, Path.ChangeExtension(relative, ".png"));
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                ImageWriter.WritePng(preprocessing.LoadResized(files[i]), target);
                outputs[i] = target;
            }
            catch (ClinFuseException e)
            {
                failures[i] = new ImageExportFailure(files[i], e.Message);
            }
            progress?.Report(Interlocked.Increment(ref done));
        });
        var written = outputs.Where(o => o is not null).ToArray();
        return new ImageExportSummary(written.Length, written, failures.OfType<ImageExportFailure>().ToArray());
    }
}
