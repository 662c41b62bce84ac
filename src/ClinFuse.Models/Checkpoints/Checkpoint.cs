using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using static TorchSharp.torch;

namespace ClinFuse.Models.Checkpoints;

/// <summary>
/// The JSON sidecar of a checkpoint: everything needed to rebuild the network and interpret its
/// outputs, next to the weights (<c>name.safetensors</c> + <c>name.json</c>).
/// </summary>
/// <param name="Config">The network configuration.</param>
/// <param name="Loss">The loss it was trained with (its parameters are in the weights under <c>loss.</c>).</param>
/// <param name="LabelNames">One name per output column.</param>
/// <param name="Normalizer">The EHR normalizer state the inputs were standardised with, as written by the feature pipeline.</param>
/// <param name="Metrics">Validation metrics at the time of saving (e.g. "auroc_macro").</param>
/// <param name="ProductVersion">ClinFuse version that wrote it.</param>
/// <param name="Epoch">Training epoch the weights belong to, if any.</param>
public sealed record CheckpointInfo(
    ModelConfig Config,
    LossKind Loss,
    IReadOnlyList<string> LabelNames,
    JsonObject? Normalizer,
    IReadOnlyDictionary<string, double> Metrics,
    string ProductVersion,
    int? Epoch = null);

/// <summary>A network and its criterion restored from disk.</summary>
/// <param name="Network">The network, in eval mode.</param>
/// <param name="Loss">The criterion with its learned parameters.</param>
/// <param name="Info">The sidecar.</param>
public sealed record LoadedCheckpoint(FusionNetwork Network, FusionLoss Loss, CheckpointInfo Info);

/// <summary>Saves and loads ClinFuse checkpoints (safetensors weights + JSON sidecar).</summary>
public static class Checkpoint
{
    /// <summary>Prefix of the loss parameters (the uncertainty log-variances) inside the weights file.</summary>
    public const string LossPrefix = "loss.";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The sidecar path belonging to a weights path.</summary>
    public static string SidecarPath(string weightsPath) => Path.ChangeExtension(weightsPath, ".json");

    /// <summary>Writes the network and loss state to <paramref name="weightsPath"/> and the sidecar next to it (each atomically).</summary>
    public static void Save(string weightsPath, FusionNetwork network, FusionLoss loss, CheckpointInfo info)
    {
        if (info.LabelNames.Count != info.Config.NumClasses)
            throw new ArgumentException($"{info.LabelNames.Count} label names for {info.Config.NumClasses} outputs.", nameof(info));
        WriteWeights(weightsPath, network, loss, new Dictionary<string, string> { ["format"] = "clinfuse", ["version"] = info.ProductVersion });
        WriteSidecar(weightsPath, info);
    }

    /// <summary>Writes a network's state dict (PyTorch order) and the loss's under <see cref="LossPrefix"/> to a safetensors file, atomically.</summary>
    public static void WriteWeights(string weightsPath, nn.Module network, FusionLoss loss, IReadOnlyDictionary<string, string> metadata)
    {
        var tensors = StateDictOrder.Entries(network).Concat(loss.state_dict().Select(p => KeyValuePair.Create(LossPrefix + p.Key, p.Value)));
        SafeTensors.Write(weightsPath, tensors, metadata);
    }

    /// <summary>Writes a sidecar record next to <paramref name="weightsPath"/> (enum names as strings), atomically.</summary>
    public static void WriteSidecar<T>(string weightsPath, T info) =>
        AtomicFile.WriteAllText(SidecarPath(weightsPath), JsonSerializer.Serialize(info, Json));

    /// <summary>Reads the sidecar next to <paramref name="weightsPath"/>; a missing or malformed one is a <see cref="ClinFuseException"/>.</summary>
    public static T ReadSidecar<T>(string weightsPath)
    {
        string sidecar = SidecarPath(weightsPath);
        if (!File.Exists(sidecar))
            throw new ClinFuseException($"Checkpoint sidecar not found: {sidecar}", "A checkpoint is a .safetensors file plus a .json file of the same name; copy both.");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(sidecar), Json) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{sidecar} is not a valid checkpoint sidecar: {e.Message}", "Re-create the checkpoint or restore the original .json file.");
        }
    }

    /// <summary>Rebuilds the network and loss described by the sidecar and loads the weights strictly.</summary>
    public static LoadedCheckpoint Load(string weightsPath)
    {
        var info = ReadSidecar<CheckpointInfo>(weightsPath);
        var network = new FusionNetwork(info.Config);
        var loss = new FusionLoss(info.Loss, info.Config.NumClasses);
        LoadWeights(weightsPath, network, loss);
        network.eval();
        return new LoadedCheckpoint(network, loss, info);
    }

    /// <summary>Loads a weights file written by <see cref="Save"/> into an existing network and loss (strictly).</summary>
    public static void LoadWeights(string weightsPath, nn.Module network, FusionLoss loss)
    {
        var (tensors, _) = SafeTensors.Read(weightsPath);
        var networkTensors = tensors.Where(t => !t.Key.StartsWith(LossPrefix, StringComparison.Ordinal));
        var lossTensors = tensors.Where(t => t.Key.StartsWith(LossPrefix, StringComparison.Ordinal))
                                 .Select(t => KeyValuePair.Create(t.Key[LossPrefix.Length..], t.Value));
        StateDictImport.Load(network, networkTensors, weightsPath, strict: true);
        StateDictImport.Load(loss, lossTensors, weightsPath, strict: true);
    }
}
