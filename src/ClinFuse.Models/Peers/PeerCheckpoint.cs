using System.Text.Json.Nodes;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Training;

namespace ClinFuse.Models.Peers;

/// <summary>The JSON sidecar of a peer model's checkpoint (<c>name.safetensors</c> + <c>name.json</c>).</summary>
/// <param name="Peer">The network configuration.</param>
/// <param name="Loss">The loss of the main prediction (its parameters are in the weights under <c>loss.</c>).</param>
/// <param name="LabelNames">One name per output column.</param>
/// <param name="Normalizer">The EHR normalizer state the inputs were standardised with.</param>
/// <param name="Metrics">Validation metrics at the time of saving.</param>
/// <param name="ProductVersion">ClinFuse version that wrote it.</param>
/// <param name="Epoch">Training epoch the weights belong to, if any.</param>
public sealed record PeerCheckpointInfo(
    PeerConfig Peer,
    LossKind Loss,
    IReadOnlyList<string> LabelNames,
    JsonObject? Normalizer,
    IReadOnlyDictionary<string, double> Metrics,
    string ProductVersion,
    int? Epoch = null);

/// <summary>Saves and loads peer models in the product's checkpoint format (weights, loss under <c>loss.</c>, sidecar).</summary>
public static class PeerCheckpoint
{
    /// <summary>A network of the configuration's kind, randomly initialised.</summary>
    public static PeerNetwork Build(PeerConfig config) => config.Kind switch
    {
        PeerKind.Mmtm => new MmtmNetwork(config),
        PeerKind.Daft => new DaftNetwork(config),
        PeerKind.Tokens => new FusionTokensNetwork(config),
        PeerKind.DrFuse => new DrFuseNetwork(config),
        _ => new LateFusionNetwork(config),
    };

    /// <summary>Writes the weights and the sidecar (each atomically).</summary>
    public static void Save(string weightsPath, PeerNetwork network, FusionLoss loss, PeerCheckpointInfo info)
    {
        if (info.LabelNames.Count != network.Config.NumClasses)
            throw new ArgumentException($"{info.LabelNames.Count} label names for {network.Config.NumClasses} outputs.", nameof(info));
        Checkpoint.WriteWeights(weightsPath, network, loss, new Dictionary<string, string>
        {
            ["format"] = "clinfuse-peer",
            ["kind"] = network.Config.Kind.ToString(),
            ["version"] = info.ProductVersion,
        });
        Checkpoint.WriteSidecar(weightsPath, info);
    }

    /// <summary>Rebuilds the network and loss the sidecar describes and loads the weights strictly (eval mode).</summary>
    public static (PeerNetwork Network, FusionLoss Loss, PeerCheckpointInfo Info) Load(string weightsPath)
    {
        var info = Checkpoint.ReadSidecar<PeerCheckpointInfo>(weightsPath);
        if (info.Peer is null)
            throw new Core.ClinFuseException($"{Checkpoint.SidecarPath(weightsPath)} does not describe a peer model (MMTM, DAFT, tokens, late fusion, DrFuse).", "Load it with the model it was trained as.");
        var network = Build(info.Peer);
        var loss = new FusionLoss(info.Loss, info.Peer.NumClasses);
        Checkpoint.LoadWeights(weightsPath, network, loss);
        network.eval();
        return (network, loss, info);
    }
}
