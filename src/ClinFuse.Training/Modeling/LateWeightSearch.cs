using ClinFuse.Training.Metrics;

namespace ClinFuse.Training.Modeling;

/// <summary>
/// Chooses late fusion's per-class weights on validation predictions: for each class the EHR weight
/// w in the reference helper's grid 0.1, 0.2, …, 0.9 whose average w·p_EHR + (1 − w)·p_CXR has the
/// highest validation AUROC (samples without a CXR prediction keep p_EHR); the first of equal scores
/// wins, and a class without both outcomes keeps 0.5.
/// </summary>
internal static class LateWeightSearch
{
    /// <summary>The candidate EHR weights.</summary>
    public static IReadOnlyList<float> Grid { get; } = [.. Enumerable.Range(1, 9).Select(i => i / 10f)];

    /// <summary>
    /// Per-class weights from row-major [n × labels] EHR and CXR probabilities (<paramref name="hasCxr"/>
    /// says which rows have a CXR prediction) and 0/1 truth.
    /// </summary>
    public static float[] Choose(float[] ehr, float[] cxr, bool[] hasCxr, float[] truth, int labels)
    {
        int n = hasCxr.Length;
        if (ehr.Length != n * labels || cxr.Length != n * labels || truth.Length != n * labels)
            throw new ArgumentException($"Late-fusion weight search: {n} rows of {labels} labels, but {ehr.Length}/{cxr.Length}/{truth.Length} values.");
        var weights = new float[labels];
        var scores = new float[n];
        var y = new float[n];
        for (int l = 0; l < labels; l++)
        {
            for (int i = 0; i < n; i++) y[i] = truth[i * labels + l];
            double best = double.NegativeInfinity;
            weights[l] = 0.5f;
            foreach (float w in Grid)
            {
                for (int i = 0; i < n; i++)
                    scores[i] = hasCxr[i] ? w * ehr[i * labels + l] + (1 - w) * cxr[i * labels + l] : ehr[i * labels + l];
                double auroc = RankMetrics.Auroc(scores, y);
                if (auroc > best)
                {
                    best = auroc;
                    weights[l] = w;
                }
            }
        }
        return weights;
    }
}
