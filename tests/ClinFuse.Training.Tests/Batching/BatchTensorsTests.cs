using ClinFuse.Core;
using ClinFuse.Models;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;

namespace ClinFuse.Training.Tests.Batching;

// libtorch's seed and thread count are process-wide: tests that use them never run concurrently.
[Collection(LibTorchCollection.Name)]
public sealed class BatchTensorsTests
{
    [Fact]
    public void Dataset_modes_select_paired_or_all_stays_with_or_without_images()
    {
        using var dir = Fixtures.TempFolder();
        var (path, _) = SyntheticData.WriteSplit(dir.Path, "train", 40, 3);
        using var split = PreparedSplit.Open(path);
        var paired = Enumerable.Range(0, split.Count).Where(i => split.ImageSlot(i) >= 0).ToArray();
        Assert.InRange(paired.Length, 1, split.Count - 1);

        Assert.Equal(paired, SampleSelection.Create(split, DatasetMode.Paired).Indices);
        Assert.True(SampleSelection.Create(split, DatasetMode.Paired).WithImages);
        Assert.Equal(paired, SampleSelection.Create(split, DatasetMode.PairedEhrOnly).Indices);
        Assert.False(SampleSelection.Create(split, DatasetMode.PairedEhrOnly).WithImages);
        Assert.Equal(Enumerable.Range(0, 40), SampleSelection.Create(split, DatasetMode.Partial).Indices);
        Assert.False(SampleSelection.Create(split, DatasetMode.PartialEhrOnly).WithImages);
    }

    [Fact]
    public void Paired_mode_without_any_image_is_a_clear_error()
    {
        using var dir = Fixtures.TempFolder();
        var (path, _) = SyntheticData.WriteSplit(dir.Path, "train", 5, 3, pairedFraction: 0);
        using var split = PreparedSplit.Open(path);
        Assert.Contains("no stay has a linked chest X-ray", Assert.Throws<ClinFuseException>(() => SampleSelection.Create(split, DatasetMode.Paired)).Message);
    }

    [Fact]
    public void Images_are_given_only_for_samples_that_have_one_in_batch_order()
    {
        using var dir = Fixtures.TempFolder();
        var (path, images) = SyntheticData.WriteSplit(dir.Path, "train", 12, 4);
        using var split = PreparedSplit.Open(path);
        var indices = new[] { 3, 0, 7, 11, 5 };
        var loaded = BatchTensors.Load(HostBatch.Build(split, indices), images, _ => ImageView.Eval);
        int pixels = 3 * SyntheticData.ImageSize * SyntheticData.ImageSize;
        int n = 0;
        for (int b = 0; b < indices.Length; b++)
        {
            int slot = split.ImageSlot(indices[b]);
            Assert.Equal(slot >= 0, loaded.HasImage[b]);
            if (slot < 0) continue;
            var expected = new float[pixels];
            images.Fill(slot, expected, ImageView.Eval);
            Assert.Equal(expected, loaded.Images.AsSpan(n++ * pixels, pixels).ToArray());
        }
        Assert.Equal(n, loaded.ImageCount);

        TorchRuntime.Initialize(new ComputeSettings(1));
        var batch = BatchTensors.ToFusionBatch(loaded);
        batch.Validate(SyntheticData.Features);
        Assert.Equal([indices.Length, loaded.Host.MaxSteps, SyntheticData.Features], batch.Ehr.shape);
        Assert.Equal(n, batch.ImageCount);
        Assert.Equal(loaded.HasImage, batch.HasImage.data<bool>().ToArray());
        Assert.Equal(loaded.Host.Labels, batch.Labels!.data<float>().ToArray());

        var none = BatchTensors.Load(HostBatch.Build(split, indices), null, _ => ImageView.Eval);
        Assert.All(none.HasImage, Assert.False);
        Assert.Null(BatchTensors.ToFusionBatch(none).Images);
    }

    [Fact]
    public void Training_view_augments_by_seed_and_evaluation_view_does_not()
    {
        const int size = 4;
        var image = Enumerable.Range(0, 3 * size * size).Select(i => (float)i).ToArray();
        var source = new InMemoryImageSource([image], size);
        var eval = new float[image.Length];
        source.Fill(0, eval, ImageView.Eval);
        Assert.Equal(image, eval);

        var outcomes = new HashSet<bool>();
        for (ulong seed = 0; seed < 16; seed++)
        {
            var a = new float[image.Length];
            var b = new float[image.Length];
            source.Fill(0, a, ImageView.Train(seed));
            source.Fill(0, b, ImageView.Train(seed));
            Assert.Equal(a, b);
            bool flipped = a[0] == image[size - 1];
            if (flipped) Assert.Equal(image[0], a[size - 1]);
            else Assert.Equal(image, a);
            outcomes.Add(flipped);
        }
        Assert.Equal(2, outcomes.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Fill(1, eval, ImageView.Eval));
    }
}
