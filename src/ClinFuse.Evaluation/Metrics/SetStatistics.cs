using ClinFuse.Core.Metrics;

namespace ClinFuse.Evaluation.Metrics;

/// <summary>The resampled statistics of a prediction set on one (re)sample; NaN where undefined.</summary>
/// <param name="Auroc">Per-label AUROC.</param>
/// <param name="Auprc">Per-label average precision.</param>
/// <param name="MacroAuroc">Mean AUROC over the labels covered in the full set (NaN if one is undefined here).</param>
/// <param name="MacroAuprc">Mean average precision, same coverage.</param>
/// <param name="F1Macro">Mean over labels of the two-class macro F1.</param>
/// <param name="F1Binary">Mean over labels of the positive-class F1.</param>
internal sealed record SampleStatistics(double[] Auroc, double[] Auprc, double MacroAuroc, double MacroAuprc, double F1Macro, double F1Binary);

/// <summary>
/// Sorts every label once and then evaluates the statistics that get confidence intervals on the
/// full set or on any bootstrap resample in O(n) per label.
/// </summary>
internal sealed class SetStatistics
{
    readonly PredictionSet _set;
    readonly RankedScores[] _ranked;
    readonly byte[][] _cells;

    /// <summary>Prepares <paramref name="set"/> (one sort per label, labels in parallel).</summary>
    public SetStatistics(PredictionSet set, ParallelOptions? parallel = null)
    {
        _set = set;
        _ranked = new RankedScores[set.Labels.Count];
        _cells = new byte[set.Labels.Count][];
        Parallel.For(0, _ranked.Length, parallel ?? new ParallelOptions(), l =>
        {
            _ranked[l] = new RankedScores(set.Probabilities[l], set.Truth[l]);
            _cells[l] = Confusion.Cells(set.Probabilities[l], set.Truth[l]);
        });
        var covered = new List<int>();
        for (int l = 0; l < _ranked.Length; l++)
            if (_ranked[l].Positives > 0 && _ranked[l].Negatives > 0) covered.Add(l);
        CoveredLabels = covered;
    }

    /// <summary>Sorted scores of each label.</summary>
    public IReadOnlyList<RankedScores> Ranked => _ranked;

    /// <summary>Labels with both classes in the full set: the ones macro averages cover.</summary>
    public IReadOnlyList<int> CoveredLabels { get; }

    /// <summary>Statistics on the full set (empty <paramref name="rowCounts"/>) or on a resample.</summary>
    public SampleStatistics Compute(ReadOnlySpan<int> rowCounts = default)
    {
        int labels = _ranked.Length;
        var auroc = new double[labels];
        var auprc = new double[labels];
        double f1Macro = 0, f1Binary = 0;
        for (int l = 0; l < labels; l++)
        {
            var (labelAuroc, labelAuprc) = _ranked[l].Rank(rowCounts);
            auroc[l] = labelAuroc;
            // A single-class (re)sample leaves both ranking metrics undefined, whichever class is missing.
            auprc[l] = double.IsNaN(labelAuroc) ? double.NaN : labelAuprc;
            var confusion = rowCounts.IsEmpty ? Confusion.Count(_set.Probabilities[l], _set.Truth[l]) : Confusion.FromCells(_cells[l], rowCounts);
            f1Macro += confusion.F1MacroTwoClass;
            f1Binary += confusion.F1Positive;
        }
        return new SampleStatistics(auroc, auprc, MeanOverCovered(auroc), MeanOverCovered(auprc), f1Macro / labels, f1Binary / labels);
    }

    /// <summary>Runs <see cref="Compute"/> on every resample, resamples in parallel.</summary>
    public SampleStatistics[] ComputeResamples(BootstrapResamples resamples, ParallelOptions? parallel = null)
    {
        if (resamples.Rows != _set.Count) throw new ArgumentException("The resamples were drawn for a set of another size.");
        var results = new SampleStatistics[resamples.Count];
        Parallel.For(0, resamples.Count, parallel ?? new ParallelOptions(),
            () => new int[_set.Count],
            (b, _, rowCounts) =>
            {
                resamples.CountRows(b, rowCounts);
                results[b] = Compute(rowCounts);
                return rowCounts;
            },
            _ => { });
        return results;
    }

    /// <summary>All labels' rows pooled into one binary problem (micro averaging).</summary>
    public RankedScores PooledScores()
    {
        int rows = _set.Count, labels = _ranked.Length;
        var scores = new double[rows * labels];
        var truth = new byte[rows * labels];
        for (int l = 0; l < labels; l++)
        {
            _set.Probabilities[l].CopyTo(scores, l * rows);
            _set.Truth[l].CopyTo(truth, l * rows);
        }
        return new RankedScores(scores, truth);
    }

    double MeanOverCovered(double[] perLabel)
    {
        if (CoveredLabels.Count == 0) return double.NaN;
        double sum = 0;
        foreach (int l in CoveredLabels) sum += perLabel[l];
        return sum / CoveredLabels.Count;
    }
}
