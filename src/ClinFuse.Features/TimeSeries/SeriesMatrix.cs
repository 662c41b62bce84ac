namespace ClinFuse.Features.TimeSeries;

/// <summary>A discretized episode: <see cref="Steps"/> rows of <see cref="Columns"/> float32 values, row-major.</summary>
public sealed record SeriesMatrix(float[] Values, int Steps, int Columns)
{
    /// <summary>The values of row <paramref name="step"/>.</summary>
    public ReadOnlySpan<float> Row(int step) => Values.AsSpan(step * Columns, Columns);
}
