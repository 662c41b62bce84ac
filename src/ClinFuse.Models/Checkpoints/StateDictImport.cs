using ClinFuse.Core;
using static TorchSharp.torch;

namespace ClinFuse.Models.Checkpoints;

/// <summary>What a state-dict import did.</summary>
/// <param name="Loaded">Module entries that received a value.</param>
/// <param name="Missing">Module entries the source did not provide (they keep their values).</param>
/// <param name="Ignored">Source entries with no counterpart in the module.</param>
public sealed record ImportReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Ignored);

/// <summary>
/// Copies named tensors (a PyTorch state dict saved as safetensors, or a ClinFuse checkpoint) into a
/// module. Names are matched after mapping: a leading <c>module.</c> (DataParallel) is dropped, and a
/// bare torchvision ResNet name (<c>conv1.weight</c>, <c>layer3.1.bn2.running_var</c>) that has no
/// counterpart gets the reference's <c>cxr_model.vision_backbone.</c> prefix; torchvision's <c>fc.*</c>
/// has no counterpart (the reference replaces fc by the identity) and is ignored.
/// </summary>
public static class StateDictImport
{
    /// <summary>The prefix of the ResNet backbone inside the fusion network.</summary>
    public const string BackbonePrefix = "cxr_model.vision_backbone.";

    /// <summary>
    /// Copies every matching tensor into <paramref name="module"/>; throws a <see cref="ClinFuseException"/>
    /// on a shape mismatch, and when <paramref name="strict"/> also on missing entries.
    /// </summary>
    public static ImportReport Load(nn.Module module, IEnumerable<KeyValuePair<string, Tensor>> source, string sourceName, bool strict)
    {
        var targets = module.state_dict();
        var loaded = new List<string>();
        var ignored = new List<string>();
        using (no_grad())
        {
            foreach (var (rawName, value) in source)
            {
                var name = MapName(rawName, targets);
                if (name is null)
                {
                    ignored.Add(rawName);
                    continue;
                }
                var target = targets[name];
                if (!target.shape.SequenceEqual(value.shape))
                    throw new ClinFuseException(
                        $"{sourceName}: '{rawName}' has shape [{string.Join(",", value.shape)}] but the model's '{name}' is [{string.Join(",", target.shape)}].",
                        "The checkpoint was made for another configuration (number of labels, hidden size); build the model with the checkpoint's settings.");
                target.copy_(value);
                loaded.Add(name);
            }
        }
        var loadedSet = loaded.ToHashSet();
        var missing = targets.Keys.Where(k => !loadedSet.Contains(k)).ToList();
        if (strict && missing.Count > 0)
            throw new ClinFuseException(
                $"{sourceName} lacks {missing.Count} of the model's {targets.Count} tensors (first: '{missing[0]}').",
                "Use a checkpoint of the same model type, or import it non-strictly to fine-tune from partial weights.");
        return new ImportReport(loaded, missing, ignored);
    }

    static string? MapName(string name, IDictionary<string, Tensor> targets)
    {
        if (name.StartsWith("module.", StringComparison.Ordinal)) name = name["module.".Length..];
        if (targets.ContainsKey(name)) return name;
        return targets.ContainsKey(BackbonePrefix + name) ? BackbonePrefix + name : null;
    }
}
