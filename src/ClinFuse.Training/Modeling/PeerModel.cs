using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using ClinFuse.Training.Batching;
using ClinFuse.Preparation.Images;
using ClinFuse.Training.Recipes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Training.Modeling;

/// <summary>
/// A peer model (<see cref="PeerNetwork"/>: MMTM, DAFT, tokens, late fusion) with its
/// <see cref="FusionLoss"/>: the loss applies to the main prediction, plain BCE to each auxiliary
/// unimodal head, and the sum is trained by one Adam (the loss's log-variances in their own group).
/// Late fusion's per-class weights are chosen on the validation split before each validation.
/// </summary>
internal sealed class PeerModel(PeerNetwork network, FusionLoss loss, IReadOnlyList<string> labels, JsonObject? normalizer) : TrainableModel
{
    /// <summary>The network.</summary>
    public PeerNetwork Peer { get; } = network;

    /// <summary>The criterion of the main prediction.</summary>
    public FusionLoss Loss { get; } = loss;

    /// <inheritdoc/>
    public override nn.Module Network => Peer;

    /// <inheritdoc/>
    protected override IEnumerable<nn.Module> Modules => [Peer, Loss];

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> TrainedParameters => ParametersOf(Peer, Loss);

    /// <inheritdoc/>
    public override JsonNode Architecture => JsonNode.Parse(JsonSerializer.Serialize(Peer.Config, TrainingConfig.Json))!;

    /// <inheritdoc/>
    public override optim.Optimizer CreateOptimizer(AdamSettings settings) => OptimizerFactory.Adam(Peer, Loss, settings);

    /// <inheritdoc/>
    public override Tensor TrainingLoss(FusionBatch batch, Generator generator) => Peer.call(batch).Objective(Loss, batch.Labels!);

    /// <inheritdoc/>
    public override FusionOutput Predict(FusionBatch batch, Generator generator) => Peer.call(batch).Main;

    /// <summary>The main prediction's criterion on the validation batch (late fusion: of its average).</summary>
    public override Tensor CriterionLoss(FusionBatch batch, FusionOutput output, Generator generator) => Loss.Compute(output.Probabilities, batch.Labels!).Total;

    /// <summary>Late fusion: chooses the per-class weights on the validation split (<see cref="LateWeightSearch"/>).</summary>
    public override void FitOnValidation(SplitData validation, int batchSize, int prefetchDepth, CancellationToken cancellationToken)
    {
        if (Peer is not LateFusionNetwork late) return;
        int labels = validation.Split.LabelCount;
        var ehr = new List<float>();
        var cxr = new List<float>();
        var truth = new List<float>();
        var hasCxr = new List<bool>();
        var plan = EpochPlan.Batches(validation.Selection.Count, batchSize, shuffle: false, dropLast: false, runSeed: 0, epoch: 0);
        bool wasTraining = Peer.training;
        Peer.eval();
        try
        {
            using var _ = no_grad();
            foreach (var batch in BatchTensors.Stream(validation.Split, validation.Selection, validation.Images, plan, (_, _) => ImageView.Eval, prefetchDepth, cancellationToken))
            {
                using var scope = NewDisposeScope();
                var output = Peer.call(BatchTensors.ToFusionBatch(batch, Device));
                int rows = batch.Host.Size;
                var ehrHead = output.Auxiliary.Single(h => h.Name == "ehr_only").Probabilities;
                var cxrRows = new float[rows * labels];
                var covered = new bool[rows];
                if (output.Auxiliary.SingleOrDefault(h => h.Name == "cxr_only") is { } cxrHead)
                {
                    var values = cxrHead.Probabilities.cpu().contiguous().data<float>().ToArray();
                    long[] index = cxrHead.Rows is null ? [.. Enumerable.Range(0, rows).Select(i => (long)i)] : cxrHead.Rows.cpu().data<long>().ToArray();
                    for (int r = 0; r < index.Length; r++)
                    {
                        covered[index[r]] = true;
                        Array.Copy(values, r * labels, cxrRows, index[r] * labels, labels);
                    }
                }
                ehr.AddRange(ehrHead.cpu().contiguous().data<float>().ToArray());
                cxr.AddRange(cxrRows);
                hasCxr.AddRange(covered);
                truth.AddRange(batch.Host.Labels);
            }
        }
        finally
        {
            if (wasTraining) Peer.train();
        }
        late.SetWeights(LateWeightSearch.Choose([.. ehr], [.. cxr], [.. hasCxr], [.. truth], labels));
    }

    /// <inheritdoc/>
    public override void Save(string path, int epoch, IReadOnlyDictionary<string, double> metrics) =>
        PeerCheckpoint.Save(path, Peer, Loss, new PeerCheckpointInfo(Peer.Config, Loss.Kind, labels, normalizer, metrics, Core.ProductInfo.Version, epoch));

    /// <inheritdoc/>
    public override void LoadWeights(string path) => Models.Checkpoints.Checkpoint.LoadWeights(path, Peer, Loss);

    /// <inheritdoc/>
    public override void Dispose()
    {
        Loss.Dispose();
        base.Dispose();
    }
}
