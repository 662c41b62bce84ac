using System.Collections;
using System.Numerics;

namespace ClinFuse.Data.Extraction;

/// <summary>
/// An episode's rows held compactly until the store is written: each row's hours, which of the 17
/// variables it has, and only those cells. A row is rebuilt as an <see cref="EpisodeRow"/> when read.
/// Most cells of a row are empty, so this holds a fraction of what the rows themselves take.
/// </summary>
internal sealed class PackedEpisodeRows : IReadOnlyList<EpisodeRow>
{
    readonly double[] hours;
    readonly int[] present;
    readonly int[] start;
    readonly string[] cells;

    public PackedEpisodeRows(IReadOnlyList<EpisodeRow> rows)
    {
        hours = new double[rows.Count];
        present = new int[rows.Count];
        start = new int[rows.Count + 1];
        for (int i = 0; i < rows.Count; i++)
        {
            hours[i] = rows[i].Hours;
            var count = 0;
            for (int v = 0; v < rows[i].Cells.Length; v++)
                if (rows[i].Cells[v] is not null) { present[i] |= 1 << v; count++; }
            start[i + 1] = start[i] + count;
        }
        cells = new string[start[^1]];
        for (int i = 0, at = 0; i < rows.Count; i++)
            foreach (var cell in rows[i].Cells)
                if (cell is not null) cells[at++] = cell;
    }

    public int Count => hours.Length;

    public EpisodeRow this[int index]
    {
        get
        {
            var row = new string?[ExtractionResources.Variables.Count];
            var at = start[index];
            for (var mask = present[index]; mask != 0; mask &= mask - 1) row[BitOperations.TrailingZeroCount(mask)] = cells[at++];
            return new EpisodeRow(hours[index], row);
        }
    }

    public IEnumerator<EpisodeRow> GetEnumerator()
    {
        for (int i = 0; i < hours.Length; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
