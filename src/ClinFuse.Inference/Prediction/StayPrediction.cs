namespace ClinFuse.Inference.Prediction;

/// <summary>The fusion transformer's attention of one layer, averaged over heads: rows are queries, columns keys, in token order [series, image].</summary>
/// <param name="Layer">0-based layer.</param>
/// <param name="Weights">[2][2] attention probabilities; each row sums to 1.</param>
public sealed record TokenAttention(int Layer, double[][] Weights);

/// <summary>What the model says about one stay.</summary>
/// <param name="Id">Sample id.</param>
/// <param name="Probabilities">Per label, the model's probability.</param>
/// <param name="Calibrated">Per label, the temperature-scaled probability; null when the run has no calibration.</param>
/// <param name="HadImage">Whether an image was given to the model.</param>
/// <param name="Attention">Per fusion layer, the token attention; empty for models without attention fusion.</param>
/// <param name="Truth">Known labels, or null.</param>
public sealed record StayPrediction(string Id, double[] Probabilities, double[]? Calibrated, bool HadImage, IReadOnlyList<TokenAttention> Attention, IReadOnlyList<int>? Truth);
