using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;
using static TorchSharp.torch;

namespace ClinFuse.Training.Batching;

/// <summary>A host batch with the images of the samples that have one, all in managed memory.</summary>
/// <param name="Host">Series, lengths, labels and image slots.</param>
/// <param name="HasImage">Per sample: whether an image is given to the model.</param>
/// <param name="Images">[N × 3 × S × S] for the N samples with an image, in batch order; empty when N = 0.</param>
/// <param name="ImageSize">S, or 0 when no image source is used.</param>
public sealed record LoadedBatch(HostBatch Host, bool[] HasImage, float[] Images, int ImageSize)
{
    /// <summary>Samples with an image.</summary>
    public int ImageCount => ImageSize == 0 ? 0 : Images.Length / (3 * ImageSize * ImageSize);
}

/// <summary>Turns host batches into the tensors the networks take.</summary>
public static class BatchTensors
{
    /// <summary>
    /// Adds the images of <paramref name="host"/>'s samples (those with a slot ≥ 0) from
    /// <paramref name="images"/>; with no source every sample is image-less.
    /// </summary>
    public static LoadedBatch Load(HostBatch host, IImageSource? images, Func<int, ImageView> viewOfSample)
    {
        var has = new bool[host.Size];
        if (images is null) return new LoadedBatch(host, has, [], 0);
        int present = 0;
        for (int b = 0; b < host.Size; b++)
        {
            int slot = host.ImageSlots[b];
            if (slot < 0) continue;
            if (slot >= images.Count)
                throw new ClinFuseException(
                    $"Stay {host.StayIds[b]} refers to image slot {slot}, but the image cache holds {images.Count} images.",
                    "The split and the image cache come from different `clinfuse prepare` runs; rerun prepare with --force.");
            has[b] = true;
            present++;
        }
        int pixels = 3 * images.Size * images.Size;
        var data = new float[present * pixels];
        int n = 0;
        for (int b = 0; b < host.Size; b++)
            if (has[b]) images.Fill(host.ImageSlots[b], data.AsSpan(n++ * pixels, pixels), viewOfSample(b));
        return new LoadedBatch(host, has, data, images.Size);
    }

    /// <summary>The model batch; tensors belong to the caller's dispose scope.</summary>
    public static FusionBatch ToFusionBatch(LoadedBatch batch, Device? device = null, bool withLabels = true)
    {
        var host = batch.Host;
        device ??= CPU;
        var ehr = tensor(host.Series, [host.Size, host.MaxSteps, host.Features]).to(device);
        // Sequence packing takes its lengths on the CPU, wherever the network runs.
        var lengths = tensor(host.Lengths);
        var hasImage = tensor(batch.HasImage).to(device);
        Tensor? images = batch.ImageCount == 0 ? null : tensor(batch.Images, [batch.ImageCount, 3, batch.ImageSize, batch.ImageSize]).to(device);
        Tensor? labels = withLabels ? tensor(host.Labels, [host.Size, host.Labels.Length / host.Size]).to(device) : null;
        return new FusionBatch(ehr, lengths, images, hasImage, labels);
    }

    /// <summary>
    /// The batches of <paramref name="selection"/> described by <paramref name="plan"/> (positions in the
    /// selection), built ahead on background threads and yielded in order.
    /// </summary>
    public static IEnumerable<LoadedBatch> Stream(
        PreparedSplit split, SampleSelection selection, IImageSource? images, int[][] plan, Func<HostBatch, int, ImageView> view, int depth, CancellationToken cancellationToken)
    {
        var source = selection.WithImages ? images : null;
        return Prefetcher.Ordered(plan.Length, b =>
        {
            var positions = plan[b];
            var indices = new int[positions.Length];
            for (int i = 0; i < positions.Length; i++) indices[i] = selection.Indices[positions[i]];
            var host = HostBatch.Build(split, indices);
            return Load(host, source, sample => view(host, sample));
        }, depth, cancellationToken);
    }
}
