// Input-pipeline throughput against model training throughput on one prepared store: samples/s of
// the training loader alone (prepared split + image cache → augmented batch tensors, exactly what
// the trainer consumes) at several prefetch depths (the number of batches built concurrently on
// background threads), then samples/s of attention-fusion training steps (paper-sized network,
// uncertainty loss, Adam) on the same data, run as Trainer.TrainEpoch runs them, with the share of
// step time the training loop spent waiting for the prefetcher. Goal: loader ≥ 5× model, so that
// training is compute-bound. Numbers are printed, not asserted.
//
//   dotnet run -c Release --project bench/Loader -- --store PREPARED [--batches 200] [--threads 2] [--train-batches 10] [--depth 2]
//
//   --batches        batches per loader measurement (several epochs when the split is small)
//   --threads        libtorch intra-op threads (the loader uses the .NET thread pool)
//   --train-batches  timed training steps per mode (one untimed warm-up step before them)
//   --depth          prefetch depth of the training loop (the trainer's default is 2)
//
// Make a store with: clinfuse synth --out s --patients 400; clinfuse extract --mimic-iv s/mimic-iv
// --mimic-cxr s/mimic-cxr-jpg --out c; clinfuse prepare --cohort c --task phenotyping --out PREPARED
using System.Diagnostics;
using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Core.Randomness;
using ClinFuse.Models;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Preparation.Images;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Recipes;
using static TorchSharp.torch;

string store = Argument("--store", "clinfuse-demo/prepared/clahe");
int batches = int.Parse(Argument("--batches", "200"));
int trainBatches = int.Parse(Argument("--train-batches", "10"));
int threads = int.Parse(Argument("--threads", "2"));
int trainDepth = int.Parse(Argument("--depth", "2"));
int[] loaderDepths = [1, 2, 4];
const int batchSize = 16;
const ulong seed = 7;

var compute = new ComputeSettings(threads);
TorchRuntime.Initialize(compute);
var prepared = PreparedStore.Open(store);
using var split = prepared.OpenSplit(Split.Train);
var images = prepared.Images(Split.Train);
Console.WriteLine($"store {Path.GetFullPath(store)}: {split.Count} training stays, {images?.Count ?? 0} cached images of {images?.Size ?? 0} px");
Console.WriteLine($"{threads} libtorch threads, {Environment.ProcessorCount} cores, batch {batchSize}, train-time augmentation, training prefetch depth {trainDepth}");
Console.WriteLine();
Console.WriteLine($"{"mode",-8} {"stage",-30} {"samples/s",10} {"images/s",9} {"data wait",10}");

var summary = new List<string>();
foreach (var mode in new[] { DatasetMode.Partial, DatasetMode.Paired })
{
    var selection = SampleSelection.Create(split, mode);
    if (selection.Count < batchSize)
    {
        Console.WriteLine($"{mode,-8} fewer than {batchSize} samples ({selection.Count}): skipped");
        continue;
    }
    double imageShare = selection.Indices.Count(i => split.ImageSlot(i) >= 0) / (double)selection.Count;
    Load(selection, 1, 2); // warm-up: JIT, file cache
    var loader = new Dictionary<int, double>();
    foreach (int depth in loaderDepths)
    {
        var (samples, seconds) = Load(selection, depth, batches);
        loader[depth] = samples / seconds;
        Console.WriteLine($"{mode,-8} {$"loader, prefetch depth {depth}",-30} {loader[depth],10:F1} {loader[depth] * imageShare,9:F1}");
    }
    var (model, wait) = Train(mode, selection, trainBatches);
    Console.WriteLine($"{mode,-8} {"attention training step",-30} {model,10:F1} {model * imageShare,9:F1} {wait,9:P1}");
    double atDepth = loader.TryGetValue(trainDepth, out var r) ? r : loader[loaderDepths[^1]];
    summary.Add($"{mode,-8} {selection.Count,5} samples ({imageShare:P0} with an image, {selection.Count / batchSize} batches/epoch): " +
                $"loader/model {atDepth / model:F1}x at depth {trainDepth} (goal >= 5x); training waited on data {wait:P1} of its time");
}
Console.WriteLine();
foreach (var line in summary) Console.WriteLine(line);

(long Samples, double Seconds) Load(SampleSelection selection, int depth, int count)
{
    long samples = 0;
    var clock = Stopwatch.StartNew();
    int epoch = 0;
    while (samples < (long)count * batchSize)
    {
        epoch++;
        var plan = EpochPlan.Batches(selection.Count, batchSize, shuffle: true, dropLast: true, seed, epoch);
        foreach (var batch in BatchTensors.Stream(split, selection, images, plan,
                     (host, b) => ImageView.Train(Seeds.Derive(seed, "augment", epoch, host.StayIds[b])), depth, CancellationToken.None))
        {
            using var scope = NewDisposeScope();
            _ = BatchTensors.ToFusionBatch(batch);
            samples += batch.Host.Size;
            if (samples >= (long)count * batchSize) break;
        }
    }
    return (samples, clock.Elapsed.TotalSeconds);
}

// Training steps as Trainer.TrainEpoch takes them (seeding, augmentation, loss, Adam, AfterStep, the
// loss read back every step), over as many epochs as the step count needs. Returns samples/s over
// the timed steps and the share of their wall time spent waiting for the next batch.
(double SamplesPerSecond, double WaitShare) Train(DatasetMode mode, SampleSelection selection, int count)
{
    var config = new TrainingConfig
    {
        Model = ModelKind.Attention, Loss = LossKind.Uncertainty, TrainData = mode, BatchSize = batchSize, PrefetchDepth = trainDepth,
    };
    manual_seed((long)(Seeds.Derive(seed, "torch-init") >> 1));
    using var model = ModelFactory.Create(config, TrainingPhase.Main, prepared.Labels.Labels, split.Features, images!.Size, normalizer: null);
    using var optimizer = model.CreateOptimizer(config.Adam);
    var parameters = model.TrainedParameters;
    model.Network.train();
    var waiting = new Stopwatch();
    var working = new Stopwatch();
    long samples = 0;
    int step = 0;
    for (int epoch = 1; step <= count; epoch++)
    {
        manual_seed((long)(Seeds.Derive(seed, "torch-epoch", epoch) >> 1));
        using var generator = new Generator(Seeds.Derive(seed, "model-randomness", epoch));
        var plan = Trainer.TrainingPlan(new SplitData(split, selection, images), config, seed, epoch);
        int e = epoch;
        using var stream = BatchTensors.Stream(split, selection, images, plan,
            (host, b) => ImageView.Train(Seeds.Derive(seed, "augment", e, host.StayIds[b])), config.PrefetchDepth, CancellationToken.None).GetEnumerator();
        while (step <= count)
        {
            // The first step (allocator and kernel warm-up) is not timed.
            bool timed = step >= 1;
            if (timed) waiting.Start();
            bool more = stream.MoveNext();
            waiting.Stop();
            if (!more) break;
            var batch = stream.Current;
            if (timed) working.Start();
            Trainer.Step(model, optimizer, batch, generator, parameters, config.GradientClipNorm);
            working.Stop();
            if (timed) samples += batch.Host.Size;
            step++;
        }
    }
    double total = waiting.Elapsed.TotalSeconds + working.Elapsed.TotalSeconds;
    return (samples / total, waiting.Elapsed.TotalSeconds / total);
}

string Argument(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
