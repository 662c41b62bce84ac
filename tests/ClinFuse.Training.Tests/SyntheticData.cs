using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Training.Tests;

/// <summary>
/// Small splits with a planted signal: label k is 1 exactly when the mean of feature k over the
/// stay's hours is positive; paired samples carry a 32-px image whose brightness follows label 0.
/// </summary>
static class SyntheticData
{
    public const int Features = 8;
    public const int Labels = 2;
    public const int ImageSize = 32;
    public static readonly string[] LabelNames = ["shock", "sepsis"];

    public static (string Path, InMemoryImageSource Images) WriteSplit(string folder, string name, int count, int seed, double pairedFraction = 0.5)
    {
        var random = new Random(seed);
        var samples = new List<PreparedSample>(count);
        var images = new List<float[]>();
        for (int i = 0; i < count; i++)
        {
            int steps = random.Next(3, 9);
            var series = new float[steps * Features];
            for (int v = 0; v < series.Length; v++) series[v] = (float)(random.NextDouble() * 2 - 1);
            var labels = new float[Labels];
            for (int k = 0; k < Labels; k++)
            {
                double mean = 0;
                for (int t = 0; t < steps; t++) mean += series[t * Features + k];
                labels[k] = mean > 0 ? 1 : 0;
            }
            int slot = -1;
            if (random.NextDouble() < pairedFraction)
            {
                var image = new float[3 * ImageSize * ImageSize];
                for (int p = 0; p < image.Length; p++) image[p] = (float)(random.NextDouble() - 0.5 + (labels[0] - 0.5));
                slot = images.Count;
                images.Add(image);
            }
            samples.Add(new PreparedSample(1000 + i, series, labels, slot));
        }
        var path = System.IO.Path.Combine(folder, name + ".split");
        PreparedSplit.Write(path, Features, Labels, samples);
        return (path, new InMemoryImageSource(images, ImageSize));
    }

    public static TrainingConfig SmallConfig(ModelKind model = ModelKind.UniEhr) => new()
    {
        Model = model,
        TrainData = model == ModelKind.UniEhr ? DatasetMode.PartialEhrOnly : DatasetMode.Partial,
        LearningRate = 1e-2,
        Epochs = 4,
        BatchSize = 16,
        Patience = 10,
        Architecture = new ArchitectureSettings { EhrHidden = 16, EhrLayers = 1, EhrDropout = 0.3, TransformerHeads = 2, TransformerFeedForward = 32, FusionLstmHidden = 16 },
    };

    /// <summary>Train and validation data of a fresh folder; dispose the splits with the returned handle.</summary>
    public sealed class Set : IDisposable
    {
        public Set(string folder, int train = 96, int validation = 48, double pairedFraction = 0.5)
        {
            Folder = folder;
            var (trainPath, trainImages) = WriteSplit(folder, "train", train, 1, pairedFraction);
            var (valPath, valImages) = WriteSplit(folder, "val", validation, 2, pairedFraction);
            TrainSplit = PreparedSplit.Open(trainPath);
            ValSplit = PreparedSplit.Open(valPath);
            TrainImages = trainImages;
            ValImages = valImages;
        }

        public string Folder { get; }
        public PreparedSplit TrainSplit { get; }
        public PreparedSplit ValSplit { get; }
        public InMemoryImageSource TrainImages { get; }
        public InMemoryImageSource ValImages { get; }

        public TrainingJob Job(TrainingConfig config, string run, ulong seed = 7, bool resume = false) =>
            new(config, LabelNames,
                new SplitData(TrainSplit, SampleSelection.Create(TrainSplit, config.TrainData), TrainImages),
                new SplitData(ValSplit, SampleSelection.Create(ValSplit, config.ValidationData), ValImages),
                System.IO.Path.Combine(Folder, run), seed, new ComputeSettings(1)) { Resume = resume };

        public void Dispose()
        {
            TrainSplit.Dispose();
            ValSplit.Dispose();
        }
    }
}
