using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Training;

/// <summary>How a training run proceeds.</summary>
/// <param name="Epochs">Training epochs at most.</param>
/// <param name="Patience">Epochs without improvement of the validation metric before stopping.</param>
/// <param name="Adam">Optimiser settings.</param>
/// <param name="Seed">Seeds initialisation-independent randomness: dropout of epoch e uses seed + e.</param>
/// <param name="LabelNames">One name per output, stored in checkpoints.</param>
public sealed record TrainerOptions(int Epochs, int Patience, AdamSettings Adam, int Seed, IReadOnlyList<string> LabelNames);

/// <summary>One epoch's numbers (a row of <c>curves.csv</c>).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches.</param>
/// <param name="ValidationLoss">Mean validation loss.</param>
/// <param name="ValidationMetric">The monitored validation metric (higher is better).</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValidationLoss, double ValidationMetric, double Seconds);

/// <summary>What <see cref="FusionTrainer.Fit"/> ended with.</summary>
/// <param name="Epochs">Every epoch run so far, including those before a resume.</param>
/// <param name="BestEpoch">The epoch whose weights the network holds at the end.</param>
/// <param name="BestMetric">Its validation metric.</param>
/// <param name="StoppedEarly">True when patience ran out before the last epoch.</param>
public sealed record TrainingResult(IReadOnlyList<EpochRecord> Epochs, int BestEpoch, double BestMetric, bool StoppedEarly);

/// <summary>
/// Epoch loop with Adam, validation after every epoch, early stopping on a validation metric with
/// patience, best-checkpoint reload at the end, and save/resume. Files in the run folder:
/// <c>best.safetensors/.json</c>, <c>last.safetensors/.json</c> + <c>last.optimizer</c> +
/// <c>trainer_state.json</c> (what resume needs) and <c>curves.csv</c>.
/// </summary>
public sealed class FusionTrainer(FusionNetwork network, FusionLoss loss, TrainerOptions options, string runFolder)
{
    /// <summary>Validation metric from all validation probabilities and labels [N, C]; higher is better.</summary>
    public delegate double Metric(Tensor probabilities, Tensor labels);

    sealed record TrainerState(int Epoch, int BestEpoch, double BestMetric, int EpochsWithoutImprovement, List<EpochRecord> History);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    string BestPath => Path.Combine(runFolder, "best.safetensors");
    string LastPath => Path.Combine(runFolder, "last.safetensors");
    string OptimizerPath => Path.Combine(runFolder, "last.optimizer");
    string StatePath => Path.Combine(runFolder, "trainer_state.json");

    /// <summary>
    /// Trains. <paramref name="trainBatches"/> yields the batches of an epoch (given its 1-based number,
    /// so shuffling can be seeded by it); <paramref name="validationBatches"/> the validation set.
    /// With <paramref name="resume"/> the run continues from the folder's last completed epoch.
    /// </summary>
    public TrainingResult Fit(Func<int, IEnumerable<FusionBatch>> trainBatches, Func<IEnumerable<FusionBatch>> validationBatches, Metric metric, bool resume = false, CancellationToken cancellationToken = default)
    {
        if (options.Epochs < 1 || options.Patience < 1)
            throw new ClinFuseException($"Epochs ({options.Epochs}) and patience ({options.Patience}) must be at least 1.", "Set --epochs and --patience to positive numbers.", ExitCodes.Usage);
        Directory.CreateDirectory(runFolder);
        using var optimizer = OptimizerFactory.Adam(network, loss, options.Adam);
        var state = new TrainerState(0, 0, double.NegativeInfinity, 0, []);
        if (resume) state = Restore(optimizer);

        bool stoppedEarly = false;
        for (int epoch = state.Epoch + 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            manual_seed(options.Seed + epoch);
            double trainLoss = TrainEpoch(optimizer, trainBatches(epoch), cancellationToken);
            var (validationLoss, validationMetric) = Validate(validationBatches(), metric);
            var record = new EpochRecord(epoch, trainLoss, validationLoss, validationMetric, watch.Elapsed.TotalSeconds);
            var history = state.History.Append(record).ToList();
            bool improved = validationMetric > state.BestMetric;
            state = improved
                ? new TrainerState(epoch, epoch, validationMetric, 0, history)
                : state with { Epoch = epoch, EpochsWithoutImprovement = state.EpochsWithoutImprovement + 1, History = history };
            if (improved) Checkpoint.Save(BestPath, network, loss, Info(epoch, validationMetric));
            SaveLast(optimizer, state);
            if (state.EpochsWithoutImprovement >= options.Patience && epoch < options.Epochs)
            {
                stoppedEarly = true;
                break;
            }
        }

        if (state.BestEpoch > 0)
        {
            Checkpoint.LoadWeights(BestPath, network, loss);
        }
        network.eval();
        return new TrainingResult(state.History, state.BestEpoch, state.BestMetric, stoppedEarly);
    }

    double TrainEpoch(Adam optimizer, IEnumerable<FusionBatch> batches, CancellationToken cancellationToken)
    {
        network.train();
        double sum = 0;
        int count = 0;
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var output = network.call(batch);
            var total = loss.Compute(output.Probabilities, batch.Labels ?? throw new ArgumentException("A training batch has no labels.")).Total;
            optimizer.zero_grad();
            total.backward();
            optimizer.step();
            sum += total.item<float>();
            count++;
        }
        if (count == 0) throw new ClinFuseException("The training set produced no batch.", "Check the training split and the batch size.");
        return sum / count;
    }

    (double Loss, double Metric) Validate(IEnumerable<FusionBatch> batches, Metric metric)
    {
        network.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var probabilities = new List<Tensor>();
        var labels = new List<Tensor>();
        double lossSum = 0;
        foreach (var batch in batches)
        {
            var output = network.call(batch);
            var y = batch.Labels ?? throw new ArgumentException("A validation batch has no labels.");
            lossSum += loss.Compute(output.Probabilities, y).Total.item<float>() * batch.Size;
            probabilities.Add(output.Probabilities);
            labels.Add(y);
        }
        if (probabilities.Count == 0) throw new ClinFuseException("The validation set produced no batch.", "Check the validation split.");
        var allProbabilities = cat(probabilities, 0);
        return (lossSum / allProbabilities.shape[0], metric(allProbabilities, cat(labels, 0)));
    }

    CheckpointInfo Info(int epoch, double metricValue) =>
        new(network.Config, loss.Kind, options.LabelNames, null, new Dictionary<string, double> { ["validation_metric"] = metricValue }, ProductInfo.Version, epoch);

    void SaveLast(Adam optimizer, TrainerState state)
    {
        Checkpoint.Save(LastPath, network, loss, Info(state.Epoch, state.History[^1].ValidationMetric));
        string temp = OptimizerPath + ".tmp";
        optimizer.save_state_dict(temp);
        File.Move(temp, OptimizerPath, overwrite: true);
        File.WriteAllText(StatePath + ".tmp", JsonSerializer.Serialize(state, Json));
        File.Move(StatePath + ".tmp", StatePath, overwrite: true);
        WriteCurves(state.History);
    }

    TrainerState Restore(Adam optimizer)
    {
        if (!File.Exists(StatePath))
            throw new ClinFuseException($"Nothing to resume in {runFolder}: {Path.GetFileName(StatePath)} is missing.", "Start without --resume, or point to the folder of an interrupted run.");
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(StatePath), Json) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{StatePath} is not a valid trainer state: {e.Message}", "Delete the run folder and start again.");
        }
        Checkpoint.LoadWeights(LastPath, network, loss);
        optimizer.load_state_dict(OptimizerPath);
        return state;
    }

    void WriteCurves(IReadOnlyList<EpochRecord> history)
    {
        var csv = new StringBuilder("epoch,train_loss,validation_loss,validation_metric,seconds\n");
        foreach (var e in history)
            csv.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.TrainLoss:R},{e.ValidationLoss:R},{e.ValidationMetric:R},{e.Seconds:F3}\n");
        string path = Path.Combine(runFolder, "curves.csv");
        File.WriteAllText(path + ".tmp", csv.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
