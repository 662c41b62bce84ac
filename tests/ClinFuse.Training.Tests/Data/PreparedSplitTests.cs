using ClinFuse.Core;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Tests.Data;

public sealed class PreparedSplitTests
{
    static PreparedSample Sample(long stay, int steps, int features, int labels, int slot)
    {
        var series = new float[steps * features];
        for (int i = 0; i < series.Length; i++) series[i] = stay * 1000 + i;
        var y = new float[labels];
        for (int l = 0; l < labels; l++) y[l] = (stay + l) % 2;
        return new PreparedSample(stay, series, y, slot);
    }

    [Fact]
    public void Written_samples_read_back_exactly()
    {
        using var dir = Fixtures.TempFolder();
        var path = dir.Combine("train.split");
        var samples = new[] { Sample(11, 48, 76, 25, 0), Sample(12, 3, 76, 25, -1), Sample(13, 0, 76, 25, 5), Sample(14, 200, 76, 25, 1) };
        PreparedSplit.Write(path, 76, 25, samples);
        Assert.Equal([path], Directory.GetFiles(dir.Path));

        using var split = PreparedSplit.Open(path);
        Assert.Equal(4, split.Count);
        Assert.Equal(76, split.Features);
        Assert.Equal(25, split.LabelCount);
        for (int i = 0; i < samples.Length; i++)
        {
            var read = split.Get(i);
            Assert.Equal(samples[i].StayId, read.StayId);
            Assert.Equal(samples[i].Series, read.Series);
            Assert.Equal(samples[i].Labels, read.Labels);
            Assert.Equal(samples[i].ImageSlot, read.ImageSlot);
        }
    }

    [Fact]
    public void Batch_pads_at_the_end_with_zeros_and_keeps_lengths()
    {
        using var dir = Fixtures.TempFolder();
        var path = dir.Combine("val.split");
        PreparedSplit.Write(path, 4, 1, [Sample(1, 2, 4, 1, -1), Sample(2, 5, 4, 1, 3), Sample(3, 0, 4, 1, -1)]);
        using var split = PreparedSplit.Open(path);

        var batch = HostBatch.Build(split, [1, 0, 2]);
        Assert.Equal(5, batch.MaxSteps);
        Assert.Equal([5L, 2L, 1L], batch.Lengths);
        Assert.Equal([3, -1, -1], batch.ImageSlots);
        Assert.Equal([2L, 1L, 3L], batch.StayIds);
        var first = batch.Series.AsSpan(0, 20).ToArray();
        Assert.Equal(split.Get(1).Series, first);
        var second = batch.Series.AsSpan(20, 20).ToArray();
        Assert.Equal(split.Get(0).Series, second[..8]);
        Assert.All(second[8..], v => Assert.Equal(0f, v));
        Assert.All(batch.Series.AsSpan(40, 20).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal([0f, 1f, 1f], batch.Labels); // stays 2, 1, 3: label = stay % 2
    }

    [Fact]
    public void Truncated_or_foreign_files_are_rejected_with_a_clear_error()
    {
        using var dir = Fixtures.TempFolder();
        var path = dir.Combine("test.split");
        PreparedSplit.Write(path, 76, 1, [Sample(1, 48, 76, 1, -1)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        var truncated = Assert.Throws<ClinFuseException>(() => PreparedSplit.Open(path));
        Assert.Contains("truncated", truncated.Message);

        File.WriteAllText(path, "stay_id,hours\n1,2\n");
        Assert.Contains("not a ClinFuse prepared split", Assert.Throws<ClinFuseException>(() => PreparedSplit.Open(path)).Message);

        Assert.Contains("not found", Assert.Throws<ClinFuseException>(() => PreparedSplit.Open(dir.Combine("missing.split"))).Message);
    }
}
