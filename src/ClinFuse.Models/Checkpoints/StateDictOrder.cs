using static TorchSharp.torch;

namespace ClinFuse.Models.Checkpoints;

/// <summary>State-dict entries in PyTorch's order.</summary>
internal static class StateDictOrder
{
    /// <summary>
    /// Every parameter and persistent buffer in PyTorch's <c>state_dict()</c> order — per module its own
    /// parameters, then its own buffers, then its children depth-first — whereas TorchSharp lists all
    /// parameters before all buffers. Files written in this order list exactly like the reference's.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> Entries(nn.Module module)
    {
        var all = module.state_dict();
        var ordered = new List<KeyValuePair<string, Tensor>>(all.Count);
        Visit(module, "", all, ordered);
        return ordered;
    }

    static void Visit(nn.Module module, string prefix, IDictionary<string, Tensor> all, List<KeyValuePair<string, Tensor>> ordered)
    {
        foreach (var (name, _) in module.named_parameters(recurse: false))
            ordered.Add(KeyValuePair.Create(prefix + name, all[prefix + name]));
        foreach (var (name, _) in module.named_buffers(recurse: false))
            if (all.TryGetValue(prefix + name, out var buffer)) ordered.Add(KeyValuePair.Create(prefix + name, buffer));
        foreach (var (name, child) in module.named_children())
            Visit(child, prefix + name + ".", all, ordered);
    }
}
