using ClinFuse.Core;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

public sealed class ImageCacheTests
{
    static readonly ImagePreprocessing Small = new(ResizeWidth: 128, Clahe: true, ShorterSide: 64, SlotSize: 56);

    static List<ImageSource> Sources(TempFolder folder)
    {
        var sources = new List<ImageSource>
        {
            new("cxr-a", Fixtures.Path("clahe", "inputs", "cxr_00008569_000_256x256.png")),
            new("cxr-b", Fixtures.Path("clahe", "inputs", "cxr_00013101_000_250x333.png")),
            new("jpeg", Fixtures.Path("clahe", "inputs", "jpeg_q95_00008569_000_256x256.jpg")),
            new("missing", folder.Combine("does-not-exist.png")),
            new("colour", Fixtures.Path("clahe", "inputs", "rgb3_coloured_00008569_000_256x256.png")),
        };
        var garbage = folder.Combine("garbage.jpg");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8]);
        sources.Add(new("garbage", garbage));
        var truncated = folder.Combine("truncated.png");
        var png = File.ReadAllBytes(Fixtures.Path("clahe", "inputs", "cxr_00020218_000_333x256.png"));
        File.WriteAllBytes(truncated, png[..(png.Length / 2)]);
        sources.Add(new("truncated", truncated));
        return sources;
    }

    [Fact]
    public void Build_stores_every_image_and_flags_missing_and_corrupt_ones()
    {
        using var folder = Fixtures.TempFolder();
        var sources = Sources(folder);
        var path = folder.Combine("images.cache");
        var reports = new List<long>();
        var summary = ImageCacheBuilder.Build(path, sources, Small, new ComputeSettings(2), new SynchronousProgress(reports));

        Assert.Equal((7, 4, 1, 2), (summary.Count, summary.Present, summary.Missing, summary.Corrupt));
        Assert.Equal(["garbage", "missing", "truncated"], summary.Problems.Select(p => p.SampleId).Order());
        Assert.Equal(7, reports.Max());
        Assert.Equal(new FileInfo(path).Length, summary.FileBytes);
        Assert.Single(Directory.GetFiles(folder.Path, "*.cache*"));

        using var cache = ImageCache.Open(path);
        Assert.Equal((56, 56, 7), (cache.Width, cache.Height, cache.Count));
        Assert.Contains("\"SlotSize\":56", cache.SettingsJson);
        for (int slot = 0; slot < sources.Count; slot++)
        {
            Assert.True(cache.TryGetSlot(sources[slot].SampleId, out int found));
            Assert.Equal(slot, found);
            Assert.Equal(sources[slot].Path, cache.Sources[slot]);
            var stored = cache.Get(slot);
            if (cache.Status(slot) == ImageSlotStatus.Present)
            {
                Assert.True(cache.HasImage(sources[slot].SampleId));
                Assert.Equal(Small.LoadSlot(sources[slot].Path).Pixels, stored.Pixels);
                Assert.Equal("", cache.Messages[slot]);
            }
            else
            {
                Assert.False(cache.HasImage(sources[slot].SampleId));
                Assert.All(stored.Pixels, v => Assert.Equal(0, v));
                Assert.Contains(sources[slot].Path, cache.Messages[slot]);
            }
        }
        Assert.Equal(ImageSlotStatus.Missing, cache.Status(3));
        Assert.Equal(ImageSlotStatus.Corrupt, cache.Status(5));
        Assert.False(cache.TryGetSlot("unknown", out _));
    }

    [Fact]
    public void Thread_count_does_not_change_the_file()
    {
        using var folder = Fixtures.TempFolder();
        var sources = Sources(folder);
        ImageCacheBuilder.Build(folder.Combine("one.cache"), sources, Small, new ComputeSettings(1));
        ImageCacheBuilder.Build(folder.Combine("two.cache"), sources, Small, new ComputeSettings(2));
        Assert.Equal(File.ReadAllBytes(folder.Combine("one.cache")), File.ReadAllBytes(folder.Combine("two.cache")));
    }

    [Fact]
    public void Slot_centre_crop_is_the_reference_eval_crop()
    {
        // CenterCrop(224) of the 256² slot equals CenterCrop(224) of the whole Resize(256) image.
        var preprocessing = new ImagePreprocessing(ResizeWidth: 0, Clahe: false);
        var input = Fixtures.Path("transforms", "intermediate", "C_portrait837x1024_resizepy_resizepy_512x626.png");
        var slot = preprocessing.LoadSlot(input);
        Assert.Equal((256, 256), (slot.Width, slot.Height));
        GoldenFiles.AssertIdentical(GoldenFiles.Png("transforms", "intermediate", "C_portrait837x1024_resizepy_centercrop224.png"), CxrTransforms.CentreCrop(slot, 224), "slot crop");
    }

    [Fact]
    public void Cancelled_build_leaves_no_file()
    {
        using var folder = Fixtures.TempFolder();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ImageCacheBuilder.Build(folder.Combine("images.cache"), Sources(folder), Small, new ComputeSettings(2), cancellationToken: cancelled.Token));
        Assert.Empty(Directory.GetFiles(folder.Path, "*cache*"));
    }

    [Fact]
    public void Duplicate_sample_ids_are_refused_with_the_id()
    {
        using var folder = Fixtures.TempFolder();
        var path = Fixtures.Path("clahe", "inputs", "syn_1x1.png");
        var error = Assert.Throws<ClinFuseException>(() =>
            ImageCacheBuilder.Build(folder.Combine("images.cache"), [new("s1", path), new("s1", path)], Small, new ComputeSettings(1)));
        Assert.Contains("'s1'", error.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Damaged_or_foreign_files_are_reported_not_crashed_on()
    {
        using var folder = Fixtures.TempFolder();
        var path = folder.Combine("images.cache");
        ImageCacheBuilder.Build(path, Sources(folder), Small, new ComputeSettings(1));
        var bytes = File.ReadAllBytes(path);

        var truncated = folder.Combine("truncated.cache");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 10)]);
        Assert.Contains("truncated", Assert.Throws<ClinFuseException>(() => ImageCache.Open(truncated)).Message);

        var foreign = folder.Combine("foreign.cache");
        File.WriteAllBytes(foreign, new byte[100]);
        Assert.Contains("signature", Assert.Throws<ClinFuseException>(() => ImageCache.Open(foreign)).Message);

        Assert.Throws<ClinFuseException>(() => ImageCache.Open(folder.Combine("absent.cache")));
    }

    [Fact]
    public void Empty_source_list_gives_an_empty_readable_cache()
    {
        using var folder = Fixtures.TempFolder();
        var summary = ImageCacheBuilder.Build(folder.Combine("empty.cache"), [], Small, new ComputeSettings(1));
        Assert.Equal(0, summary.Count);
        using var cache = ImageCache.Open(folder.Combine("empty.cache"));
        Assert.Equal(0, cache.Count);
    }

    /// <summary>Records reports immediately (Progress&lt;T&gt; posts to the thread pool, which would race the assertions).</summary>
    sealed class SynchronousProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
