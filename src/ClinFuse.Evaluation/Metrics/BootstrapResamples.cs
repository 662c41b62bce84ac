using ClinFuse.Core.Randomness;

namespace ClinFuse.Evaluation.Metrics;

/// <summary>
/// The resamples of a bootstrap: each is n row numbers drawn with replacement. Either drawn from
/// a seed (<see cref="Seeds.SystemRandom(int)"/>: a seed gives the same resamples) or given
/// explicitly (to reproduce another implementation's intervals from its own draws).
/// </summary>
public sealed class BootstrapResamples
{
    readonly int[][] _indices;

    BootstrapResamples(int rows, int[][] indices)
    {
        Rows = rows;
        _indices = indices;
    }

    /// <summary>Rows of the evaluation set.</summary>
    public int Rows { get; }

    /// <summary>Number of resamples.</summary>
    public int Count => _indices.Length;

    /// <summary>Draws <paramref name="count"/> resamples of <paramref name="rows"/> rows from <paramref name="seed"/>.</summary>
    public static BootstrapResamples Draw(int rows, int count, int seed)
    {
        if (rows <= 0) throw new ArgumentOutOfRangeException(nameof(rows), "The evaluation set is empty.");
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        var random = Seeds.SystemRandom(seed);
        var indices = new int[count][];
        for (int b = 0; b < count; b++)
        {
            var draw = new int[rows];
            for (int i = 0; i < rows; i++) draw[i] = random.Next(rows);
            indices[b] = draw;
        }
        return new BootstrapResamples(rows, indices);
    }

    /// <summary>Uses the given 0-based row numbers, one array per resample.</summary>
    public static BootstrapResamples FromIndices(int rows, IReadOnlyList<int[]> indices)
    {
        foreach (var draw in indices)
            foreach (int row in draw)
                if ((uint)row >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(indices), $"Row {row} is outside 0..{rows - 1}.");
        return new BootstrapResamples(rows, [.. indices]);
    }

    /// <summary>Writes how often each row occurs in resample <paramref name="resample"/> into <paramref name="rowCounts"/>.</summary>
    public void CountRows(int resample, Span<int> rowCounts)
    {
        rowCounts.Clear();
        foreach (int row in _indices[resample]) rowCounts[row]++;
    }
}
