using ClinFuse.Preparation;
using ClinFuse.Core;

namespace ClinFuse.Training.Data;

/// <summary>Which samples of a split a run uses and whether their chest X-rays are given to the model (the reference's <c>--data_pairs</c>).</summary>
public enum DatasetMode
{
    /// <summary>Stays with a linked CXR, with the image (<c>paired_ehr_cxr</c>).</summary>
    Paired,
    /// <summary>Stays with a linked CXR, series only (<c>paired_ehr</c>).</summary>
    PairedEhrOnly,
    /// <summary>Every stay; the image where there is one (<c>partial_ehr_cxr</c> with ratio 1).</summary>
    Partial,
    /// <summary>Every stay, series only (<c>partial_ehr</c>).</summary>
    PartialEhrOnly,
}

/// <summary>The samples of a split a run uses, in file order.</summary>
/// <param name="Indices">Positions in the split.</param>
/// <param name="WithImages">Whether the CXRs of the selected samples are given to the model.</param>
public sealed record SampleSelection(int[] Indices, bool WithImages)
{
    /// <summary>Number of selected samples.</summary>
    public int Count => Indices.Length;

    /// <summary>The samples of <paramref name="split"/> that <paramref name="mode"/> uses.</summary>
    public static SampleSelection Create(PreparedSplit split, DatasetMode mode)
    {
        bool pairedOnly = mode is DatasetMode.Paired or DatasetMode.PairedEhrOnly;
        var indices = new List<int>(split.Count);
        for (int i = 0; i < split.Count; i++)
            if (!pairedOnly || split.ImageSlot(i) >= 0) indices.Add(i);
        if (indices.Count == 0)
            throw new ClinFuseException(
                $"{split}: no sample qualifies for the {mode} dataset mode{(pairedOnly ? " (no stay has a linked chest X-ray)" : "")}.",
                pairedOnly ? "Use a partial (all stays) mode, or prepare the store with the chest X-ray folder." : "Check that `clinfuse prepare` wrote this split completely.");
        return new SampleSelection([.. indices], mode is DatasetMode.Paired or DatasetMode.Partial);
    }
}
