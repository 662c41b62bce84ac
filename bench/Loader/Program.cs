// Input-pipeline throughput against model training throughput on one prepared store: samples/s of
// the training loader alone (prepared split + image cache → augmented batch tensors, exactly what
// the trainer consumes) at several prefetch depths, then samples/s of attention-fusion training
// steps (paper-sized network, uncertainty loss, Adam) on the same batches. Goal: loader ≥ 5× model,
// so that training is compute-bound. Numbers are printed, not asserted.
//
//   dotnet run -c Release --project bench/Loader -- --store PREPARED [--batches 40] [--threads 2] [--train-batches 6]
//
// Make a store with: clinfuse synth --out s --patients 400; clinfuse extract --mimic-iv s/mimic-iv
// --mimic-cxr s/mimic-cxr-jpg --out c; clinfuse prepare --cohort c --task phenotyping --out PREPARED
using System.Diagnostics;
using ClinFuse.Core;
using ClinFuse.Core.Randomness;
using ClinFuse.Models;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Batching;
using ClinFuse.Training.Data;
using ClinFuse.Training.Images;
using ClinFuse.Training.Modeling;
using ClinFuse.Training.Recipes;
using ClinFuse.Training.Store;
using static TorchSharp.torch;

string store = Argument("--store", "clinfuse-demo/prepared/clahe");
int batches = int.Parse(Argument("--batches", "40"));
int trainBatches = int.Parse(Argument("--train-batches", "6"));
int threads = int.Parse(Argument("--threads", Environment.ProcessorCount.ToString()));
const int batchSize = 16;
const ulong seed = 7;

var compute = new ComputeSettings(threads);
TorchRuntime.Initialize(compute);
var prepared = PreparedStore.Open(store);
using var split = prepared.OpenSplit("train");
var images = prepared.Images("train");
Console.WriteLine($"store {Path.GetFullPath(store)}: {split.Count} training stays, {threads} threads, batch {batchSize}, train-time augmentation");
Console.WriteLine($"{"mode",-8} {"stage",-28} {"samples/s",10} {"images/s",9}");

foreach (var mode in new[] { DatasetMode.Partial, DatasetMode.Paired })
{
    var selection = SampleSelection.Create(split, mode);
    double imageShare = selection.Indices.Count(i => split.ImageSlot(i) >= 0) / (double)selection.Count;
    foreach (int depth in new[] { 1, 2, 4 })
    {
        var (samples, seconds) = Load(selection, depth, batches);
        Console.WriteLine($"{mode,-8} {$"loader, prefetch depth {depth}",-28} {samples / seconds,10:F1} {samples * imageShare / seconds,9:F1}");
    }
    var model = Train(selection, trainBatches);
    Console.WriteLine($"{mode,-8} {"attention training step",-28} {model,10:F1} {model * imageShare,9:F1}");
}

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

double Train(SampleSelection selection, int count)
{
    manual_seed(1);
    var config = new TrainingConfig { Model = FusionType.Attention, Loss = LossKind.Uncertainty, TrainData = DatasetMode.Partial };
    using var model = ModelFactory.Create(config, TrainingPhase.Main, prepared.Labels.Labels, split.Features, images!.Size, normalizer: null);
    using var optimizer = model.CreateOptimizer(config.Adam);
    using var generator = new Generator(1);
    model.Network.train();
    var plan = EpochPlan.Batches(selection.Count, batchSize, shuffle: true, dropLast: true, seed, 1);
    var clock = new Stopwatch();
    long samples = 0;
    int step = 0;
    foreach (var batch in BatchTensors.Stream(split, selection, images, plan, (host, b) => ImageView.Train(seed + (ulong)b), 2, CancellationToken.None))
    {
        using var scope = NewDisposeScope();
        // The first step (allocator and kernel warm-up) is not timed.
        if (step == 1) clock.Start();
        var loss = model.TrainingLoss(BatchTensors.ToFusionBatch(batch), generator);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (step >= 1) samples += batch.Host.Size;
        if (++step > count) break;
    }
    return samples / clock.Elapsed.TotalSeconds;
}

string Argument(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
