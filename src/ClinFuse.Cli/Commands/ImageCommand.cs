using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse image</c>: apply the image preprocessing to a file or folder.</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var input = new Argument<FileSystemInfo>("input") { Description = "An image file (JPEG/PNG) or a folder of images (searched recursively)." };
        var output = new Argument<FileSystemInfo>("output") { Description = "Output .png file, or folder (created; the input's sub-folders are mirrored)." };
        var clahe = new Option<bool>("--clahe") { Description = "Apply CLAHE (clip 2.0, 8x8 tiles) after resizing, as the paper's preprocessing." };
        var resize = new Option<int>("--resize") { Description = "Resize to this width with Pillow BICUBIC, keeping the aspect ratio, as resize.py (0 keeps the size).", DefaultValueFactory = _ => 512 };
        var command = new Command("image", "Show what the model sees: decode, grayscale, resize and CLAHE one image or a folder.")
        {
            input, output, clahe, resize,
        };
        command.SetAction((ParseResult r, CancellationToken ct) =>
        {
            var summary = ImageExport.Run(r.GetValue(input)!.FullName, r.GetValue(output)!.FullName, r.GetValue(clahe), r.GetValue(resize),
                CommonOptions.Compute(r), cancellationToken: ct);
            var stdout = r.InvocationConfiguration.Output;
            var stderr = r.InvocationConfiguration.Error;
            foreach (var failure in summary.Failures) stderr.WriteLine($"error: {failure.Message}");
            stdout.WriteLine(summary.Written == 1 && summary.Failures.Count == 0
                ? $"wrote {summary.Outputs[0]}"
                : $"wrote {summary.Written} PNG(s); {summary.Failures.Count} file(s) could not be read.");
            return Task.FromResult(summary.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.BadInput);
        });
        return command;
    }
}
