// EHR (LSTM) training throughput by batch order: samples/s of series-only training epochs
// (paper-sized 2-layer LSTM, 256 wide, BCE, Adam), with the reference's uniformly shuffled batches
// and with length-bucketed batches, on the training split of one prepared store. Phenotyping uses
// whole-stay series, so a shuffled batch runs to its longest stay; bucketing groups similar lengths.
// Prints samples/s, the padded time steps per epoch and the speed-up; asserts nothing.
//
//   dotnet run -c Release --project bench/EhrTraining -- --store PREPARED [--epochs 2] [--threads 2] [--batch-size 16]
//
// Make a store with: clinfuse synth --out s --patients 400; clinfuse extract --mimic-iv s/mimic-iv
// --mimic-cxr s/mimic-cxr-jpg --out c; clinfuse prepare --cohort c --task phenotyping --out PREPARED
using System.Diagnostics;
using ClinFuse.Core.Tasks;
using ClinFuse.Core;
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

string store = Argument("--store", "clinfuse-demo/prepared/plain");
int epochs = int.Parse(Argument("--epochs", "2"));
int threads = int.Parse(Argument("--threads", "2"));
int batchSize = int.Parse(Argument("--batch-size", "16"));
const ulong seed = 7;

TorchRuntime.Initialize(new ComputeSettings(threads));
var prepared = PreparedStore.Open(store);
using var split = prepared.OpenSplit(Split.Train);
var selection = SampleSelection.Create(split, DatasetMode.PartialEhrOnly);
var data = new SplitData(split, selection, null);
var lengths = selection.Indices.Select(split.Timesteps).ToArray();
Console.WriteLine($"store {Path.GetFullPath(store)}: {selection.Count} training stays, time steps min {lengths.Min()}, median {lengths.Order().ElementAt(lengths.Length / 2)}, max {lengths.Max()}");
Console.WriteLine($"{threads} libtorch threads, batch {batchSize}, {epochs} timed epochs after one untimed warm-up epoch");
Console.WriteLine();
Console.WriteLine($"{"batch order",-16} {"samples/s",10} {"padded steps/epoch",19} {"real steps/epoch",17}");

var rates = new Dictionary<BatchOrder, double>();
foreach (var order in new[] { BatchOrder.Shuffled, BatchOrder.LengthBucketed })
{
    var config = new TrainingConfig { Model = ModelKind.UniEhr, TrainData = DatasetMode.PartialEhrOnly, BatchSize = batchSize, Batching = order };
    manual_seed((long)(Seeds.Derive(seed, "torch-init") >> 1));
    using var model = ModelFactory.Create(config, TrainingPhase.Main, prepared.Labels.Labels, split.Features, 224, normalizer: null);
    using var optimizer = model.CreateOptimizer(config.Adam);
    var parameters = model.TrainedParameters;
    model.Network.train();
    long samples = 0, padded = 0, real = 0;
    var clock = new Stopwatch();
    for (int epoch = 0; epoch <= epochs; epoch++)
    {
        bool timed = epoch > 0;
        using var generator = new Generator(Seeds.Derive(seed, "model-randomness", epoch));
        var plan = Trainer.TrainingPlan(data, config, seed, epoch);
        if (timed)
            foreach (var batch in plan)
            {
                padded += (long)batch.Length * batch.Max(i => lengths[i]);
                real += batch.Sum(i => lengths[i]);
            }
        if (timed) clock.Start();
        foreach (var batch in BatchTensors.Stream(split, selection, null, plan, (_, _) => ImageView.Eval, config.PrefetchDepth, CancellationToken.None))
        {
            Trainer.Step(model, optimizer, batch, generator, parameters, config.GradientClipNorm);
            if (timed) samples += batch.Host.Size;
        }
        if (timed) clock.Stop();
    }
    rates[order] = samples / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"{order,-16} {rates[order],10:F1} {padded / epochs,19:N0} {real / epochs,17:N0}");
}
Console.WriteLine();
Console.WriteLine($"length-bucketed / shuffled: {rates[BatchOrder.LengthBucketed] / rates[BatchOrder.Shuffled]:F2}x samples/s");

string Argument(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
