using ClinFuse.Core;
using ClinFuse.Core.Randomness;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;

namespace ClinFuse.Training.Robustness;

/// <summary>
/// The noisy versions of a prepared store's data (the paper's robustness protocol). Series noise is
/// applied to the raw episodes re-read from the cohort store, then the store's own discretizer and
/// saved normalizer turn them into model input exactly as <c>prepare</c> did; image noise perturbs the
/// cached 8-bit slots. Statistics of both come from the training split. The store is never modified:
/// noisy splits are written to files the caller chooses.
/// </summary>
internal sealed class NoisyData : IDisposable
{
    readonly CohortStore cohort;
    readonly ClinicalTask task;
    readonly Discretizer discretizer = new();
    readonly Normalizer normalizer;
    readonly CachedImageSource? images;
    readonly Dictionary<Split, (IReadOnlyList<CohortSample>, Dictionary<CohortSample, SeriesEpisode>)> episodesBySplit = [];

    NoisyData(PreparedStore store, CohortStore cohort, ClinicalTask task, Normalizer normalizer, CachedImageSource? images)
    {
        Store = store;
        this.cohort = cohort;
        this.task = task;
        this.normalizer = normalizer;
        this.images = images;
    }

    /// <summary>The clean prepared store.</summary>
    public PreparedStore Store { get; }

    /// <summary>Per-channel statistics of raw training values.</summary>
    public SeriesNoiseStatistics SeriesStatistics { get; private set; } = new([], [], [], [], 0);

    /// <summary>Per-pixel statistics of training images; null when the store has no image cache.</summary>
    public PixelStatistics? PixelStatistics { get; private set; }

    /// <summary>
    /// Opens the cohort store and normalizer behind <paramref name="store"/> (its manifest.json names the
    /// cohort) and estimates the noise statistics from up to <paramref name="sampleCount"/> random
    /// training episodes and training images (seeded by <paramref name="seed"/>).
    /// </summary>
    public static NoisyData Open(PreparedStore store, ulong seed, IStageProgress progress, int sampleCount = SeriesNoiseStatistics.DefaultSampleCount, CancellationToken cancellationToken = default)
    {
        var recipe = store.Recipe
            ?? throw new ClinFuseException($"{store.Folder} has no readable {StageManifest.FileName}; the noisy series are rebuilt from the cohort store it names.", "Prepare the store again with `clinfuse prepare`.");
        var cohortFolder = recipe.Cohort
            ?? throw new ClinFuseException($"{Path.Combine(store.Folder, StageManifest.FileName)} does not name its cohort store (config.cohort).", "Prepare the store again with `clinfuse prepare`.");
        if (!Directory.Exists(cohortFolder))
            throw new ClinFuseException($"The cohort store {cohortFolder} that {store.Folder} was prepared from no longer exists.", "Restore it (noise is applied to the raw episodes) or extract it again into the same folder.");
        var normalizerPath = Path.Combine(store.Folder, PreparedStore.NormalizerFile);
        if (!File.Exists(normalizerPath))
            throw new ClinFuseException($"{normalizerPath} is missing; noisy series are normalised with the store's own statistics.", "Prepare the store again with `clinfuse prepare`.");
        var task = store.Labels.ClinicalTask;
        var data = new NoisyData(store, CohortStore.Open(cohortFolder), task, Normalizer.Load(normalizerPath), CachedImageSource.OpenForStore(store.Folder) as CachedImageSource);
        try
        {
            data.Estimate(seed, sampleCount, progress, cancellationToken);
            return data;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    void Estimate(ulong seed, int sampleCount, IStageProgress progress, CancellationToken cancellationToken)
    {
        var training = cohort.Samples(task, Split.Train);
        if (training.Count == 0)
            throw new ClinFuseException($"The cohort behind {Store.Folder} has no training samples.", "Prepare the store from a complete cohort.");
        // Only the sampled episodes are read: the estimate needs no more.
        var order = Enumerable.Range(0, training.Count).ToArray();
        Seeds.Rng(seed, "series-noise-statistics").Shuffle(order);
        var chosen = order.Take(Math.Min(sampleCount, order.Length)).Order().Select(i => training[i]).ToList();
        var episodes = PrepareStage.ReadEpisodes(cohort, new() { [Split.Train] = chosen }, discretizer.Config, progress, cancellationToken);
        SeriesStatistics = SeriesNoiseStatistics.Estimate([.. chosen.Select(s => episodes[s])], Seeds.Derive(seed, "series-noise-sample"), chosen.Count);

        if (images is null) return;
        using var train = Store.OpenSplit(Split.Train);
        var slots = new HashSet<int>();
        for (int i = 0; i < train.Count; i++)
            if (train.ImageSlot(i) >= 0) slots.Add(train.ImageSlot(i));
        if (slots.Count > 0)
            PixelStatistics = ImageNoise.Estimate(images.Cache, [.. slots.Order()], (int)(Seeds.Derive(seed, "image-noise-statistics") >> 33), sampleCount);
    }

    /// <summary>
    /// Writes split <paramref name="split"/> with series noise on <paramref name="fraction"/> of each
    /// episode's time steps to <paramref name="path"/> (atomically). Labels and image slots are the
    /// prepared split's; with fraction 0 the file equals the prepared split.
    /// </summary>
    public void WriteSplit(Split split, double fraction, ulong seed, string path, ComputeSettings compute, IStageProgress progress, CancellationToken cancellationToken = default)
    {
        var noise = new SeriesNoise(SeriesStatistics, fraction, Seeds.Derive(seed, "series-noise", (long)Math.Round(fraction * 1e6)));
        using var prepared = Store.OpenSplit(split);
        var (samples, episodes) = Episodes(split, progress, cancellationToken);
        if (samples.Count != prepared.Count)
            throw new ClinFuseException($"{prepared} has {prepared.Count} samples but its cohort's {Splits.Name(split)} split has {samples.Count}: the cohort changed since `clinfuse prepare`.",
                "Prepare the store again from the current cohort.");
        var output = new PreparedSample[samples.Count];
        using (var step = progress.Step($"noise {fraction:P0}: {Splits.Name(split)} series", samples.Count, "stays"))
        {
            Parallel.For(0, samples.Count, compute.ParallelOptions(cancellationToken), i =>
            {
                var sample = samples[i];
                long stay = prepared.StayId(i);
                if (sample.StayId != stay)
                    throw new ClinFuseException($"{prepared}: sample {i} is stay {stay} but the cohort lists stay {sample.StayId}: the cohort changed since `clinfuse prepare`.",
                        "Prepare the store again from the current cohort.");
                var noisy = noise.Apply(episodes[sample], stay);
                var matrix = discretizer.Transform(noisy, EpisodeWindow.EndHours(task, sample.PeriodHours), normalizer);
                var labels = new float[prepared.LabelCount];
                prepared.CopyLabels(i, labels);
                output[i] = new PreparedSample(stay, matrix.Values, labels, prepared.ImageSlot(i));
                step.Advance();
            });
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        PreparedSplit.Write(path, prepared.Features, prepared.LabelCount, output);
    }

    /// <summary>The cohort samples of a split and their raw episodes, read once and kept for the other levels.</summary>
    (IReadOnlyList<CohortSample> Samples, Dictionary<CohortSample, SeriesEpisode> Episodes) Episodes(Split split, IStageProgress progress, CancellationToken cancellationToken)
    {
        if (episodesBySplit.TryGetValue(split, out var read)) return read;
        var samples = cohort.Samples(task, split);
        read = (samples, PrepareStage.ReadEpisodes(cohort, new() { [split] = samples }, discretizer.Config, progress, cancellationToken));
        episodesBySplit[split] = read;
        return read;
    }

    /// <summary>
    /// An opener serving the store's images with pixel noise on <paramref name="fraction"/> of the
    /// pixels (null images when the store has none). The sources share this object's cache: do not dispose them.
    /// </summary>
    public ImageCacheOpener NoisyImages(double fraction, ulong seed)
    {
        if (images is null || PixelStatistics is null) return (_, _) => null;
        var settings = new ImageNoiseSettings(PixelStatistics, fraction, (int)(Seeds.Derive(seed, "image-noise", (long)Math.Round(fraction * 1e6)) >> 33));
        var noisy = images.WithNoise(settings);
        return (_, _) => noisy;
    }

    /// <inheritdoc />
    public void Dispose() => images?.Dispose();
}
