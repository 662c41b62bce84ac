namespace ClinFuse.Evaluation;

/// <summary>
/// Predicted probabilities and true labels of one model on one evaluation set, one column per
/// label (column-major so that each label's metric is a walk over contiguous arrays).
/// </summary>
public sealed record PredictionSet
{
    /// <summary>Builds a set and checks that every column has one value per sample.</summary>
    public PredictionSet(IReadOnlyList<string> sampleIds, IReadOnlyList<string> labels, byte[][] truth, double[][] probabilities, PredictionMetadata metadata)
    {
        if (labels.Count == 0) throw new ArgumentException("A prediction set needs at least one label.");
        if (truth.Length != labels.Count || probabilities.Length != labels.Count)
            throw new ArgumentException("One truth and one probability column per label are required.");
        foreach (var column in truth)
            if (column.Length != sampleIds.Count) throw new ArgumentException("A truth column does not have one value per sample.");
        foreach (var column in probabilities)
            if (column.Length != sampleIds.Count) throw new ArgumentException("A probability column does not have one value per sample.");
        SampleIds = sampleIds;
        Labels = labels;
        Truth = truth;
        Probabilities = probabilities;
        Metadata = metadata;
    }

    /// <summary>Sample identifiers (e.g. stay ids), unique, in row order.</summary>
    public IReadOnlyList<string> SampleIds { get; }

    /// <summary>Label names in column order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Truth[label][row] ∈ {0, 1}.</summary>
    public byte[][] Truth { get; }

    /// <summary>Probabilities[label][row] ∈ [0, 1].</summary>
    public double[][] Probabilities { get; }

    /// <summary>What produced these predictions.</summary>
    public PredictionMetadata Metadata { get; }

    /// <summary>Number of samples (rows).</summary>
    public int Count => SampleIds.Count;

    /// <summary>The rows whose sample id is in <paramref name="sampleIds"/>, in this set's order.</summary>
    public PredictionSet Restrict(IReadOnlySet<string> sampleIds)
    {
        var rows = new List<int>(Count);
        for (int i = 0; i < Count; i++)
            if (sampleIds.Contains(SampleIds[i])) rows.Add(i);
        return new PredictionSet([.. rows.Select(i => SampleIds[i])], Labels,
            [.. Truth.Select(column => rows.Select(i => column[i]).ToArray())],
            [.. Probabilities.Select(column => rows.Select(i => column[i]).ToArray())], Metadata);
    }
}

/// <summary>Descriptive facts stored in the header of a predictions file.</summary>
/// <param name="Task">"ihm", "phenotyping" or another task name.</param>
/// <param name="Model">Model name, e.g. "Attention + CLAHE".</param>
/// <param name="Split">Evaluation split, e.g. "test".</param>
/// <param name="Extra">Any further key/value pairs of the header, in file order.</param>
public sealed record PredictionMetadata(string? Task = null, string? Model = null, string? Split = null, IReadOnlyList<KeyValuePair<string, string>>? Extra = null);
