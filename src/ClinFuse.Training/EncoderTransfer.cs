using ClinFuse.Core;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Models.Networks;
using static TorchSharp.torch;

namespace ClinFuse.Training;

/// <summary>A pre-trained encoder to load before fine-tuning.</summary>
/// <param name="Checkpoint">A ClinFuse checkpoint (.safetensors) of a pre-training run.</param>
/// <param name="Prefix">Which tensors to take: <see cref="EncoderTransfer.Ehr"/>, <see cref="EncoderTransfer.Cxr"/> or <see cref="EncoderTransfer.Everything"/>.</param>
public sealed record EncoderInit(string Checkpoint, string Prefix);

/// <summary>
/// Loads encoder weights into a network (a fusion network or a baseline, whose encoders share the
/// fusion network's names) as the reference's <c>--load_state_ehr</c> /
/// <c>--load_state_cxr</c> do: every tensor whose name starts with the encoder's prefix. The
/// encoder's own head is taken when its shape matches and skipped otherwise (the reference would
/// fail there). Nothing is frozen afterwards: fusion models fine-tune end to end, as the reference
/// does for its attention and LSTM fusions.
/// </summary>
internal static class EncoderTransfer
{
    /// <summary>Prefix of the EHR encoder's tensors.</summary>
    public const string Ehr = "ehr_model.";
    /// <summary>Prefix of the CXR encoder's tensors.</summary>
    public const string Cxr = "cxr_model.";
    /// <summary>Every tensor (a baseline's main phase starting from its pre-training phase).</summary>
    public const string Everything = "";

    /// <summary>Copies the encoder's tensors; returns the names loaded.</summary>
    public static IReadOnlyList<string> Load(nn.Module network, EncoderInit init)
    {
        if (!File.Exists(init.Checkpoint))
            throw new ClinFuseException($"Pre-trained encoder checkpoint not found: {init.Checkpoint}", "Point --ehr-encoder/--cxr-encoder at the run folder of `clinfuse pretrain`.");
        var targets = network.state_dict();
        var (tensors, _) = SafeTensors.Read(init.Checkpoint);
        var chosen = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, value) in tensors)
        {
            if (!name.StartsWith(init.Prefix, StringComparison.Ordinal)) continue;
            if (targets.TryGetValue(name, out var target) && target.shape.SequenceEqual(value.shape)) chosen.Add(new(name, value));
            else if (!IsHead(name))
                throw new ClinFuseException(
                    $"{init.Checkpoint}: encoder tensor '{name}' [{string.Join(",", value.shape)}] does not fit the model.",
                    "Pre-train and fine-tune with the same architecture settings (EhrHidden, EhrLayers).");
        }
        if (chosen.Count == 0)
            throw new ClinFuseException($"{init.Checkpoint} holds no '{init.Prefix}' tensors.", "Use the checkpoint of a pre-training run of that encoder.");
        var report = StateDictImport.Load(network, chosen, init.Checkpoint, strict: false);
        foreach (var (_, value) in tensors) value.Dispose();
        return report.Loaded;
    }

    static bool IsHead(string name) => name.StartsWith("ehr_model.dense_layer.", StringComparison.Ordinal) || name.StartsWith("cxr_model.classifier.", StringComparison.Ordinal);
}
