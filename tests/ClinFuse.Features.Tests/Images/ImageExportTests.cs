using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

public sealed class ImageExportTests
{
    [Fact]
    public void Single_file_is_resized_like_resize_py_and_equalised()
    {
        using var folder = Fixtures.TempFolder();
        var source = Fixtures.Path("transforms", "sources", "00012572_000.png");
        var target = folder.Combine("out.png");
        var summary = ImageExport.Run(source, target, clahe: true, resizeWidth: 512, new ComputeSettings(1));
        Assert.Equal([target], summary.Outputs);
        var expected = Clahe.Paper.Apply(GoldenFiles.Png("transforms", "intermediate", "B_resizepy512_resizepy_512x512.png"));
        GoldenFiles.AssertIdentical(expected, ImageDecoder.DecodeFile(target), "resize.py + CLAHE");
    }

    [Fact]
    public void Folder_mirrors_subfolders_and_lists_unreadable_files_without_stopping()
    {
        using var folder = Fixtures.TempFolder();
        var input = Directory.CreateDirectory(folder.Combine("in", "p10", "s1")).FullName;
        File.Copy(Fixtures.Path("clahe", "inputs", "jpeg_q95_00008569_000_256x256.jpg"), Path.Combine(input, "a.jpg"));
        File.Copy(Fixtures.Path("clahe", "inputs", "syn_tiny_7x5.png"), folder.Combine("in", "b.png"));
        File.WriteAllText(folder.Combine("in", "broken.jpg"), "not a jpeg");
        File.WriteAllText(folder.Combine("in", "readme.txt"), "ignored");

        var summary = ImageExport.Run(folder.Combine("in"), folder.Combine("out"), clahe: false, resizeWidth: 0, new ComputeSettings(2));
        Assert.Equal(2, summary.Written);
        Assert.True(File.Exists(folder.Combine("out", "p10", "s1", "a.png")));
        Assert.Equal(GoldenFiles.Png("clahe", "inputs", "syn_tiny_7x5.png").Pixels, ImageDecoder.DecodeFile(folder.Combine("out", "b.png")).Pixels);
        var failure = Assert.Single(summary.Failures);
        Assert.Equal(folder.Combine("in", "broken.jpg"), failure.Path);
        Assert.False(File.Exists(folder.Combine("out", "broken.png")));
    }

    [Fact]
    public void Bad_arguments_are_user_errors()
    {
        using var folder = Fixtures.TempFolder();
        var source = Fixtures.Path("clahe", "inputs", "syn_1x1.png");
        Assert.Throws<ClinFuseException>(() => ImageExport.Run(folder.Combine("absent"), folder.Combine("o"), false, 512, new ComputeSettings(1)));
        Assert.Throws<ClinFuseException>(() => ImageExport.Run(source, folder.Combine("o.jpg"), false, 512, new ComputeSettings(1)));
        Assert.Throws<ClinFuseException>(() => ImageExport.Run(source, folder.Combine("o.png"), false, -1, new ComputeSettings(1)));
        Directory.CreateDirectory(folder.Combine("empty"));
        Assert.Throws<ClinFuseException>(() => ImageExport.Run(folder.Combine("empty"), folder.Combine("o"), false, 512, new ComputeSettings(1)));
    }
}
