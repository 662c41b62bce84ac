using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Synthetic;
using ClinFuse.Features.Images;
using ClinFuse.Features.TimeSeries;
using ClinFuse.Inference.Explanations;
using ClinFuse.Models;
using ClinFuse.Models.Networks;
using RankMetrics = ClinFuse.Training.Metrics.RankMetrics;
using ClinFuse.Preparation;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ClinFuse.Inference.Tests;

/// <summary>
/// The explanations point at the truth the synthetic cohort planted: integrated gradients at the
/// variables the simulator drives from a label's latent factor, Grad-CAM at the opacities the
/// radiograph renderer draws. Each test trains the product's network on that data first.
/// </summary>
public sealed class ExplanationTruthTests(ITestOutputHelper output)
{
    /// <summary>
    /// What drives each of the 17 variables in the simulator (PatientSimulator.Charting): the latent
    /// factor with the largest effect first, then the others with an effect. Capillary refill and the
    /// GCS total are never charted and height is drawn from sex alone: no factor drives them.
    /// </summary>
    static readonly Dictionary<string, LatentFactor[]> Drivers = new()
    {
        ["Capillary refill rate"] = [],
        ["Diastolic blood pressure"] = [LatentFactor.Instability],
        ["Fraction inspired oxygen"] = [LatentFactor.Fluid],
        ["Glascow coma scale eye opening"] = [LatentFactor.Neuro],
        ["Glascow coma scale motor response"] = [LatentFactor.Neuro],
        ["Glascow coma scale total"] = [],
        ["Glascow coma scale verbal response"] = [LatentFactor.Neuro],
        ["Glucose"] = [LatentFactor.Metabolic, LatentFactor.Instability],
        ["Heart Rate"] = [LatentFactor.Instability, LatentFactor.Fluid],
        ["Height"] = [],
        ["Mean blood pressure"] = [LatentFactor.Instability],
        ["Oxygen saturation"] = [LatentFactor.Fluid],
        ["Respiratory rate"] = [LatentFactor.Fluid, LatentFactor.Instability],
        ["Systolic blood pressure"] = [LatentFactor.Instability],
        ["Temperature"] = [LatentFactor.Instability],
        ["Weight"] = [LatentFactor.Fluid],
        ["pH"] = [LatentFactor.Metabolic, LatentFactor.Instability],
    };

    // Seeds 1 and 2 pass too (docs/predict.md lists the margins of each).
    [Theory]
    [InlineData(3)]
    public async Task Series_attributions_rank_the_variables_that_drive_a_label_first(int seed)
    {
        var compute = new ComputeSettings(1);
        using var temp = Fixtures.TempFolder("clinfuse-truth-");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var synth = temp.Combine("synth");
        SyntheticCohortGenerator.Generate(new SynthOptions(Patients, seed, SynthImages.None, FillerChartRowsPerHour: 0), synth, force: false, compute, StageProgress.None);
        var cohort = (await Extractor.RunAsync(new ExtractionOptions { MimicIv = Path.Combine(synth, "mimic-iv"), Out = temp.Combine("cohort"), Seed = seed },
            compute, StageProgress.None)).Folder;
        var store = PreparedStore.Open(PrepareStage.Run(new PrepareOptions(cohort, Core.Tasks.ClinicalTask.Phenotyping, temp.Combine("store"), null, new ImagePreprocessing()), compute, StageProgress.None).Folder);
        output.WriteLine($"data {clock.Elapsed.TotalSeconds:F1} s");
        TorchRuntime.Initialize(compute);
        var config = new Discretizer().Config;
        var trainSet = Stays(store, Split.Train).Concat(Stays(store, Split.Validation)).ToList();
        var testSet = Stays(store, Split.Test);
        // Phenotypes driven by one series factor: cerebrovascular disease (neuro) and shock (instability).
        foreach (var name in new[] { "Acute cerebrovascular disease", "Shock" })
        {
            int label = store.Labels.Labels.ToList().IndexOf(name);
            var loadings = CohortModel.Phenotypes[label].Loadings;
            var dominant = (LatentFactor)Array.IndexOf(loadings, loadings[..5].Max());
            manual_seed(seed);
            var network = new FusionNetwork(new ModelConfig(ModelKind.UniEhr, 1, 1, EhrHidden: 16, EhrLayers: 1, EhrDropout: 0, OnlyUsedModules: true));
            var optimizer = optim.Adam(network.parameters(), lr: 3e-3);
            var random = new Random(seed);
            network.train();
            for (int epoch = 0; epoch < 40; epoch++)
                foreach (var chunk in trainSet.OrderBy(_ => random.Next()).Chunk(64))
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var batch = SeriesBatch(chunk, label);
                    nn.functional.binary_cross_entropy_with_logits(network.call(batch).Logits, batch.Labels!).backward();
                    optimizer.step();
                }
            network.eval();
            float[] scores;
            using (no_grad())
            using (var scope = NewDisposeScope())
                scores = network.call(SeriesBatch(testSet, label)).Probabilities.cpu().data<float>().ToArray();
            double auroc = RankMetrics.Auroc(scores, testSet.Select(s => s.Labels[label]).ToArray());
            var mean = new double[config.ChannelCount];
            foreach (var stay in testSet)
            {
                using var scope = NewDisposeScope();
                var ig = Explainer.IntegratedGradients(b => network.call(b).Probabilities, SeriesBatch([stay], label), 0, 16, config);
                for (int c = 0; c < config.ChannelCount; c++)
                {
                    double sum = 0;
                    for (int t = 0; t < ig.Steps; t++) sum += ig.ByChannel[t * config.ChannelCount + c];
                    mean[c] += Math.Abs(sum) / testSet.Count;
                }
            }
            var driven = Enumerable.Range(0, config.ChannelCount).Where(c => Drivers[config.Channels[c]] is [var first, ..] && first == dominant).ToList();
            var undriven = Enumerable.Range(0, config.ChannelCount).Where(c => Drivers[config.Channels[c]].All(f => loadings[(int)f] == 0)).ToList();
            double ratio = driven.Average(c => mean[c]) / undriven.Average(c => mean[c]);
            var order = Enumerable.Range(0, config.ChannelCount).OrderByDescending(c => mean[c]).ToList();
            output.WriteLine($"{name} ({dominant}) AUROC {auroc:F3} driven/undriven {ratio:F2} top {config.Channels[order[0]]}; driven ranks [{string.Join(",", driven.Select(c => order.IndexOf(c) + 1))}] undriven ranks [{string.Join(",", undriven.Select(c => order.IndexOf(c) + 1))}] {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(auroc >= 0.6, $"{name}: the model did not learn the label (test AUROC {auroc:F3})");
            Assert.True(ratio >= 1.3, $"{name}: the variables {dominant} drives hold {ratio:F2}x the mean attribution of the variables no factor of the label drives");
            Assert.DoesNotContain(order[0], undriven);
        }
    }

    const int Patients = 1500, Window = 48;

    sealed record Stay(float[] Series, int Steps, float[] Labels);

    static List<Stay> Stays(PreparedStore store, Split split)
    {
        using var opened = store.OpenSplit(split);
        var stays = new List<Stay>();
        for (int i = 0; i < opened.Count; i++)
        {
            var sample = opened.Get(i);
            int steps = Math.Min(Window, sample.Series.Length / opened.Features);
            if (steps == 0) continue;
            stays.Add(new Stay(sample.Series[..(steps * opened.Features)], steps, sample.Labels));
        }
        return stays;
    }

    static FusionBatch SeriesBatch(IReadOnlyList<Stay> stays, int label)
    {
        int n = stays.Count, features = 76;
        var series = new float[n * Window * features];
        for (int b = 0; b < n; b++) stays[b].Series.CopyTo(series, b * Window * features);
        return new FusionBatch(tensor(series).reshape(n, Window, features), tensor(stays.Select(s => (long)s.Steps).ToArray()), null,
            zeros(n, dtype: ScalarType.Bool), tensor(stays.Select(s => s.Labels[label]).ToArray()).reshape(n, 1));
    }

    const int Side = 224, Patch = 64;

    /// <summary>
    /// Radiographs drawn by the synthetic cohort's renderer (<see cref="CxrRenderer"/>) with and without
    /// planted opacities; the truth mask of an image is where its opacities add at least 8 gray levels
    /// (the same image drawn without them, same seed, is the reference). The image-only network learns
    /// the opacities on 64-px crops labelled by whether they hold one (image-level labels of the crop;
    /// a ResNet-34 trained from scratch on whole radiographs for a few epochs learns global intensity
    /// cues instead, and its Grad-CAM is flat); Grad-CAM then explains whole 224-px radiographs.
    /// Seeds 2 and 3 pass with larger margins (docs/predict.md).
    /// </summary>
    [Theory]
    [InlineData(1)]
    public void Grad_cam_falls_on_the_planted_opacities_more_than_on_random_regions_of_their_size(int seed)
    {
        TorchRuntime.Initialize(new ComputeSettings(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var random = new Random(seed);
        var train = Enumerable.Range(0, 48).Select(i => Radiograph(seed, i, i % 2 == 0, random)).ToList();
        var test = Enumerable.Range(1000, 24).Select(i => Radiograph(seed, i, i % 3 != 0, random)).ToList();
        using var trainImages = Images(train);
        output.WriteLine($"rendered {clock.Elapsed.TotalSeconds:F1} s");

        manual_seed(seed);
        var network = new FusionNetwork(new ModelConfig(ModelKind.UniCxr, 1, 1, EhrHidden: 8, EhrLayers: 1, OnlyUsedModules: true));
        var optimizer = optim.Adam(network.parameters(), lr: 1e-3);
        network.train();
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            var crops = new List<Tensor>();
            var targets = new float[32];
            for (int k = 0; k < targets.Length; k++)
            {
                targets[k] = k % 2;
                crops.Add(CropOf(train, trainImages, targets[k] == 1, random));
            }
            optimizer.zero_grad();
            var batch = ImageBatch(stack(crops), targets);
            var loss = nn.functional.binary_cross_entropy_with_logits(network.call(batch).Logits, batch.Labels!);
            loss.backward();
            optimizer.step();
            if (step % 10 == 9) output.WriteLine($"step {step} loss {loss.item<float>():F3} {clock.Elapsed.TotalSeconds:F1} s");
        }
        // Batch-norm statistics of the trained weights, on crops as in training (a few steps leave the running averages behind).
        using (no_grad())
        {
            foreach (var module in network.modules().OfType<TorchSharp.Modules.BatchNorm2d>()) { module.reset_running_stats(); module.momentum = null; }
            for (int step = 0; step < 16; step++)
            {
                using var scope = NewDisposeScope();
                network.call(ImageBatch(stack(Enumerable.Range(0, 32).Select(k => CropOf(train, trainImages, k % 2 == 1, random)).ToList()), new float[32]));
            }
        }
        network.eval();
        output.WriteLine($"trained {clock.Elapsed.TotalSeconds:F1} s");

        // The detector learned the opacities: held-out crops with and without them.
        var scores = new List<float>();
        using (var testImages = Images(test))
        using (no_grad())
            for (int k = 0; k < 64; k++)
            {
                using var scope = NewDisposeScope();
                scores.Add(network.call(ImageBatch(CropOf(test, testImages, k % 2 == 1, random).unsqueeze(0), [0])).Logits.item<float>());
            }
        double auroc = RankMetrics.Auroc(scores.ToArray(), Enumerable.Range(0, 64).Select(k => (float)(k % 2)).ToArray());

        var ratios = new List<double>();
        foreach (var r in test.Where(t => t.Positive))
        {
            using var scope = NewDisposeScope();
            using var image = Images([r]);
            var cam = Explainer.GradCam(network, ImageBatch(image, [1]), 0);
            double inside = Mean(cam.Map, r.Mask, 0, 0);
            double outside = 0;
            for (int k = 0; k < 50; k++) outside += Mean(cam.Map, r.Mask, random.Next(Side), random.Next(Side)) / 50;
            ratios.Add(inside / Math.Max(outside, 1e-9));
        }
        output.WriteLine($"held-out crop AUROC {auroc:F3}; inside/random mean {ratios.Average():F2} min {ratios.Min():F2} above-1 {ratios.Count(v => v > 1)}/{ratios.Count}; {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(auroc >= 0.8, $"the model did not learn the opacities: AUROC {auroc:F3} on held-out crops");
        Assert.True(ratios.Average() >= 2, $"Grad-CAM holds on average {ratios.Average():F2}x the mass of a random region of the opacities' size on them");
        Assert.True(ratios.Count(v => v > 1) >= ratios.Count - 2, $"Grad-CAM is denser on the opacities than on random regions for only {ratios.Count(v => v > 1)} of {ratios.Count} radiographs");
    }

    /// <summary>A <see cref="Patch"/>-pixel crop of <paramref name="tensors"/> (the images of <paramref name="images"/>) with enough opacity (positive) or none.</summary>
    static Tensor CropOf(List<Drawn> images, Tensor tensors, bool positive, Random random)
    {
        var (image, x, y) = Crop(images, positive, random);
        return tensors[image].narrow(1, y, Patch).narrow(2, x, Patch);
    }

    /// <summary>A crop with enough opacity (positive) or none (negative): image index and top-left corner.</summary>
    static (int Image, int X, int Y) Crop(List<Drawn> images, bool positive, Random random)
    {
        while (true)
        {
            int i = random.Next(images.Count);
            if (positive != images[i].Positive) continue;
            int x = random.Next(Side - Patch + 1), y = random.Next(Side - Patch + 1);
            int inside = 0;
            for (int dy = 0; dy < Patch; dy++)
                for (int dx = 0; dx < Patch; dx++)
                    if (images[i].Mask[(y + dy) * Side + x + dx]) inside++;
            if (positive ? inside >= Patch * Patch / 8 : inside == 0) return (i, x, y);
        }
    }

    static double Mean(float[] map, bool[] mask, int dx, int dy)
    {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
                if (mask[y * Side + x])
                {
                    sum += map[((y + dy) % Side) * Side + (x + dx) % Side];
                    n++;
                }
        return sum / n;
    }

    sealed record Drawn(float[] Tensor, bool[] Mask, bool Positive);

    static Drawn Radiograph(int seed, int index, bool positive, Random random)
    {
        double opacity = positive ? 1.2 + 1.3 * random.NextDouble() : -2 + 2 * random.NextDouble();
        var spec = new CxrImageSpec("", Side, Side, Lateral: false, Portable: random.NextDouble() < 0.7, opacity,
            Effusion: random.NextDouble() * 2 - 1, HeartSize: random.NextDouble() * 2 - 1, SupportDevices: random.NextDouble() < 0.3, Patient: index, ImageIndex: 0);
        var pixels = CxrRenderer.RenderPixels(spec, Side, Side, seed);
        var clear = CxrRenderer.RenderPixels(spec with { Opacity = -30 }, Side, Side, seed);
        var mask = new bool[pixels.Length];
        if (positive)
            for (int i = 0; i < mask.Length; i++) mask[i] = pixels[i] - clear[i] >= 8;
        return new Drawn(CxrTransforms.ToNormalizedTensor(new GrayImage(Side, Side, pixels)), mask, positive);
    }

    static Tensor Images(IReadOnlyList<Drawn> drawn) => tensor(drawn.SelectMany(d => d.Tensor).ToArray()).reshape(drawn.Count, 3, Side, Side);

    static FusionBatch ImageBatch(Tensor images, float[] labels)
    {
        long n = images.shape[0];
        return new FusionBatch(zeros(n, 1, 76), ones(n, dtype: ScalarType.Int64), images, ones(n, dtype: ScalarType.Bool), tensor(labels).reshape(n, 1));
    }
}
