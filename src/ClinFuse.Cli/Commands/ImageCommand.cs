using System.CommandLine;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse image</c>: apply the image preprocessing to a file or folder.</summary>
public static class ImageCommand
{
    public static Command Create()
    {
        var input = new Argument<FileSystemInfo>("input") { Description = "An image file or a folder of images." };
        var output = new Argument<FileSystemInfo>("output") { Description = "Output file or folder (PNG)." };
        var clahe = new Option<bool>("--clahe") { Description = "Apply CLAHE (clip 2.0, 8x8 tiles)." };
        var resize = new Option<int>("--resize") { Description = "Resize to this width, keeping the aspect ratio (0 keeps the size).", DefaultValueFactory = _ => 512 };
        return NotAvailable.Mark(new Command("image", "Show what the model sees: decode, grayscale, resize and CLAHE one image or a folder.")
        {
            input, output, clahe, resize,
        });
    }
}
