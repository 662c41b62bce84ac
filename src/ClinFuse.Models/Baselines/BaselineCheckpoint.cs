using System.Text.Json;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;

namespace ClinFuse.Models.Baselines;

/// <summary>The JSON sidecar of a baseline checkpoint (<c>name.safetensors</c> + <c>name.json</c>).</summary>
/// <param name="Kind">Which baseline.</param>
/// <param name="Contrastive">Its configuration when <paramref name="Kind"/> is <see cref="BaselineKind.ContrastiveVit"/>.</param>
/// <param name="Card">Its configuration when <paramref name="Kind"/> is <see cref="BaselineKind.Card"/>.</param>
/// <param name="LabelNames">One name per output column.</param>
/// <param name="Metrics">Validation metrics at the time of saving.</param>
/// <param name="ProductVersion">ClinFuse version that wrote it.</param>
/// <param name="Epoch">Training epoch the weights belong to, if any.</param>
public sealed record BaselineCheckpointInfo(
    BaselineKind Kind,
    ContrastiveVitConfig? Contrastive,
    CardConfig? Card,
    IReadOnlyList<string> LabelNames,
    IReadOnlyDictionary<string, double> Metrics,
    string ProductVersion,
    int? Epoch = null);

/// <summary>Saves and loads the baselines with the product's safetensors format and a JSON sidecar.</summary>
public static class BaselineCheckpoint
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes a Contrastive + ViT network (each file atomically).</summary>
    public static void Save(string weightsPath, ContrastiveVitNetwork network, IReadOnlyList<string> labelNames, IReadOnlyDictionary<string, double> metrics, string productVersion, int? epoch = null) =>
        Write(weightsPath, network, new BaselineCheckpointInfo(BaselineKind.ContrastiveVit, network.Config, null, labelNames, metrics, productVersion, epoch), network.Config.NumClasses);

    /// <summary>Writes a CARD network (each file atomically).</summary>
    public static void Save(string weightsPath, CardNetwork network, IReadOnlyList<string> labelNames, IReadOnlyDictionary<string, double> metrics, string productVersion, int? epoch = null) =>
        Write(weightsPath, network, new BaselineCheckpointInfo(BaselineKind.Card, null, network.Config, labelNames, metrics, productVersion, epoch), network.Config.NumClasses);

    static void Write(string weightsPath, TorchSharp.torch.nn.Module network, BaselineCheckpointInfo info, int numClasses)
    {
        if (info.LabelNames.Count != numClasses)
            throw new ArgumentException($"{info.LabelNames.Count} label names for {numClasses} outputs.", nameof(info));
        SafeTensors.Write(weightsPath, StateDictOrder.Entries(network), new Dictionary<string, string>
        {
            ["format"] = "clinfuse-baseline",
            ["kind"] = info.Kind.ToString(),
            ["version"] = info.ProductVersion,
        });
        AtomicFile.WriteAllText(Checkpoint.SidecarPath(weightsPath), JsonSerializer.Serialize(info, Json));
    }

    /// <summary>Reads the sidecar of a baseline checkpoint.</summary>
    public static BaselineCheckpointInfo ReadInfo(string weightsPath)
    {
        string sidecar = Checkpoint.SidecarPath(weightsPath);
        if (!File.Exists(sidecar))
            throw new ClinFuseException($"Checkpoint sidecar not found: {sidecar}", "A checkpoint is a .safetensors file plus a .json file of the same name; copy both.");
        try
        {
            return JsonSerializer.Deserialize<BaselineCheckpointInfo>(File.ReadAllText(sidecar), Json) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new ClinFuseException($"{sidecar} is not a valid baseline checkpoint sidecar: {e.Message}", "Re-create the checkpoint or restore the original .json file.");
        }
    }

    /// <summary>Rebuilds a Contrastive + ViT network from its checkpoint (strict load, eval mode).</summary>
    public static (ContrastiveVitNetwork Network, BaselineCheckpointInfo Info) LoadContrastive(string weightsPath)
    {
        var info = ReadInfo(weightsPath);
        var network = new ContrastiveVitNetwork(info.Contrastive ?? throw WrongKind(weightsPath, info.Kind, BaselineKind.ContrastiveVit));
        LoadWeights(weightsPath, network);
        return (network, info);
    }

    /// <summary>Rebuilds a CARD network from its checkpoint (strict load, eval mode).</summary>
    public static (CardNetwork Network, BaselineCheckpointInfo Info) LoadCard(string weightsPath)
    {
        var info = ReadInfo(weightsPath);
        var network = new CardNetwork(info.Card ?? throw WrongKind(weightsPath, info.Kind, BaselineKind.Card));
        LoadWeights(weightsPath, network);
        return (network, info);
    }

    /// <summary>Loads a baseline weights file into an existing network of the same configuration (strictly) and puts it in eval mode.</summary>
    public static void LoadWeights(string weightsPath, TorchSharp.torch.nn.Module network)
    {
        var (tensors, _) = SafeTensors.Read(weightsPath);
        StateDictImport.Load(network, tensors, weightsPath, strict: true);
        foreach (var (_, value) in tensors) value.Dispose();
        network.eval();
    }

    static ClinFuseException WrongKind(string path, BaselineKind found, BaselineKind wanted) =>
        new($"{path} holds a {found} checkpoint, not {wanted}.", $"Load it as {found}, or pick a {wanted} checkpoint.");
}
