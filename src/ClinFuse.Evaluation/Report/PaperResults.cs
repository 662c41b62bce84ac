namespace ClinFuse.Evaluation.Report;

/// <summary>The four summary metrics of a paper table row.</summary>
internal readonly record struct PaperRow(double MacroF1, double BinaryF1, double Auroc, double Auprc)
{
    /// <summary>A row the paper's table does not have (every value NaN).</summary>
    public static PaperRow NotReported => new(double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>One row of Tables I–III: the model as the paper names it and the run model names that fill it.</summary>
/// <param name="Name">Row label as printed in the paper.</param>
/// <param name="Published">The published test-set numbers.</param>
/// <param name="ModelNames">Model names (metrics.json "model", case-insensitive) that this row shows.</param>
internal sealed record PaperTableRow(string Name, PaperRow Published, IReadOnlyList<string> ModelNames);

/// <summary>One noise level of Tables IV / V.</summary>
internal sealed record PaperNoiseRow(int Level, PaperRow Attention, PaperRow MedFuse);

/// <summary>One phenotype of Table VI: AUROC / AUPRC with and without the uncertainty loss.</summary>
internal sealed record PaperLabelRow(string Label, double AurocWith, double AuprcWith, double AurocWithout, double AuprcWithout);

/// <summary>
/// The published test-set numbers of Rasekh et al. ("Robust Fusion of Time Series and Image Data
/// for Improved Multimodal Clinical Prediction", IEEE Access 2024), shown next to measured ones.
/// </summary>
internal static class PaperResults
{
    /// <summary>Model names of the attention fusion without CLAHE or uncertainty loss.</summary>
    public static readonly string[] AttentionNames = ["Attention", "Multimodal attention"];

    /// <summary>Model names of the MedFuse LSTM fusion baseline.</summary>
    public static readonly string[] MedFuseNames = ["MedFuse", "Multimodal LSTM fusion"];

    /// <summary>Model names of the attention fusion trained with the uncertainty loss.</summary>
    public static readonly string[] AttentionUncertaintyNames = ["Attention + uncertainty loss", "Attention + Uncertainty"];

    static readonly string[] AttentionClaheNames = ["Attention + CLAHE"];
    static readonly string[] AttentionUncertaintyClaheNames = ["Attention + Uncertainty + CLAHE", "Attention + uncertainty loss + CLAHE"];

    /// <summary>
    /// The attention arm of the noise tables and Fig. 4, in order of preference: the paper labels it
    /// "Attention"; when no plain attention run has robustness results, the closest variant that has
    /// them stands in (the table's note names the run used).
    /// </summary>
    public static readonly string[][] NoiseAttentionNames = [AttentionNames, AttentionUncertaintyClaheNames, AttentionClaheNames, AttentionUncertaintyNames];

    /// <summary>Table I — in-hospital mortality.</summary>
    public static IReadOnlyList<PaperTableRow> TableI { get; } =
    [
        new("MedFuse", new(0.677, 0.412, 0.857, 0.507), MedFuseNames),
        new("Contrastive + ViT", new(0.690, 0.441, 0.852, 0.520), ["Contrastive + ViT"]),
        new("CARD", new(0.660, 0.400, 0.690, 0.341), ["CARD"]),
        new("Attention", new(0.691, 0.438, 0.857, 0.514), AttentionNames),
        new("Attention + CLAHE", new(0.685, 0.453, 0.858, 0.524), AttentionClaheNames),
    ];

    /// <summary>Table II — phenotyping.</summary>
    public static IReadOnlyList<PaperTableRow> TableII { get; } =
    [
        new("MedFuse", new(0.589, 0.282, 0.763, 0.422), MedFuseNames),
        // The paper reports this baseline for mortality only; the row shows a measured phenotyping run next to "not reported".
        new("Contrastive + ViT", PaperRow.NotReported, ["Contrastive + ViT"]),
        new("CARD", new(0.585, 0.344, 0.600, 0.310), ["CARD"]),
        new("Attention + CLAHE", new(0.611, 0.327, 0.770, 0.431), AttentionClaheNames),
        new("Attention + Uncertainty + CLAHE", new(0.614, 0.362, 0.759, 0.466), AttentionUncertaintyClaheNames),
    ];

    /// <summary>Table III — ablation on phenotyping.</summary>
    public static IReadOnlyList<PaperTableRow> TableIII { get; } =
    [
        new("Time series only", new(0.581, 0.270, 0.759, 0.421), ["Time series only", "EHR only"]),
        new("Image only", new(0.535, 0.200, 0.670, 0.358), ["Image only", "CXR only"]),
        new("Multimodal LSTM fusion", new(0.589, 0.282, 0.763, 0.422), MedFuseNames),
        new("Multimodal attention", new(0.604, 0.314, 0.765, 0.424), AttentionNames),
        new("Attention + uncertainty loss", new(0.604, 0.311, 0.767, 0.427), AttentionUncertaintyNames),
        new("Attention + CLAHE", new(0.611, 0.327, 0.770, 0.431), AttentionClaheNames),
        new("Attention + uncertainty + CLAHE", new(0.614, 0.362, 0.759, 0.466), AttentionUncertaintyClaheNames),
        // MedFuse's other baselines and late fusion, which the paper does not report: measured rows only (with or without CLAHE'd images).
        new("MMTM (not in the paper)", PaperRow.NotReported, ["MMTM", "MMTM + CLAHE"]),
        new("DAFT (not in the paper)", PaperRow.NotReported, ["DAFT", "DAFT + CLAHE"]),
        new("Missing-modality tokens (not in the paper)", PaperRow.NotReported, ["Missing-modality tokens", "Missing-modality tokens + CLAHE"]),
        new("Late fusion (not in the paper)", PaperRow.NotReported, ["Late fusion", "Late fusion + CLAHE"]),
        new("DrFuse (not in the paper)", PaperRow.NotReported, ["DrFuse", "DrFuse + CLAHE"]),
    ];

    /// <summary>Table IV — phenotyping, trained and tested on noisy data (paper order: AUROC, AUPRC, macro-F1, binary-F1).</summary>
    public static IReadOnlyList<PaperNoiseRow> TableIV { get; } =
    [
        Noise(10, 0.768, 0.426, 0.601, 0.306, 0.765, 0.422, 0.585, 0.274),
        Noise(20, 0.763, 0.423, 0.600, 0.308, 0.761, 0.420, 0.590, 0.281),
        Noise(30, 0.751, 0.403, 0.610, 0.322, 0.757, 0.410, 0.591, 0.288),
        Noise(40, 0.763, 0.421, 0.602, 0.310, 0.757, 0.414, 0.594, 0.295),
        Noise(50, 0.761, 0.417, 0.594, 0.291, 0.757, 0.410, 0.583, 0.270),
        Noise(60, 0.755, 0.412, 0.602, 0.312, 0.755, 0.412, 0.580, 0.271),
    ];

    /// <summary>Table V — phenotyping, trained clean and tested on noisy data.</summary>
    public static IReadOnlyList<PaperNoiseRow> TableV { get; } =
    [
        Noise(10, 0.761, 0.418, 0.590, 0.299, 0.757, 0.412, 0.581, 0.284),
        Noise(20, 0.737, 0.387, 0.581, 0.279, 0.743, 0.395, 0.559, 0.239),
        Noise(30, 0.757, 0.411, 0.581, 0.268, 0.753, 0.404, 0.557, 0.220),
        Noise(40, 0.743, 0.396, 0.570, 0.246, 0.724, 0.369, 0.557, 0.202),
        Noise(50, 0.732, 0.379, 0.561, 0.245, 0.717, 0.363, 0.546, 0.204),
        Noise(60, 0.689, 0.334, 0.540, 0.195, 0.674, 0.315, 0.510, 0.153),
    ];

    /// <summary>Table VI averages (with / without uncertainty loss).</summary>
    public static (double AurocWith, double AuprcWith, double AurocWithout, double AuprcWithout) TableVIAverages { get; } = (0.767, 0.427, 0.765, 0.424);

    /// <summary>Table VI — per phenotype, in the benchmark's label order (same as <see cref="PhenotypeGroups.Labels"/>).</summary>
    public static IReadOnlyList<PaperLabelRow> TableVI { get; } =
    [
        new("Acute and unspecified renal failure", 0.793, 0.592, 0.793, 0.590),
        new("Acute cerebrovascular disease", 0.908, 0.468, 0.908, 0.462),
        new("Acute myocardial infarction", 0.760, 0.216, 0.762, 0.221),
        new("Cardiac dysrhythmias", 0.681, 0.484, 0.681, 0.482),
        new("Chronic kidney disease", 0.746, 0.439, 0.736, 0.429),
        new("Chronic obstructive pulmonary disease and bronchiectasis", 0.704, 0.292, 0.701, 0.289),
        new("Complications of surgical procedures or medical care", 0.731, 0.406, 0.730, 0.405),
        new("Conduction disorders", 0.718, 0.246, 0.717, 0.248),
        new("Congestive heart failure; nonhypertensive", 0.765, 0.522, 0.760, 0.516),
        new("Coronary atherosclerosis and other heart disease", 0.761, 0.591, 0.760, 0.588),
        new("Diabetes mellitus with complications", 0.900, 0.595, 0.897, 0.592),
        new("Diabetes mellitus without complication", 0.789, 0.413, 0.787, 0.406),
        new("Disorders of lipid metabolism", 0.704, 0.619, 0.706, 0.617),
        new("Essential hypertension", 0.668, 0.579, 0.660, 0.570),
        new("Fluid and electrolyte disorders", 0.759, 0.644, 0.760, 0.644),
        new("Gastrointestinal hemorrhage", 0.772, 0.213, 0.772, 0.215),
        new("Hypertension with complications and secondary hypertension", 0.738, 0.432, 0.728, 0.421),
        new("Other liver diseases", 0.741, 0.297, 0.737, 0.307),
        new("Other lower respiratory disease", 0.655, 0.165, 0.657, 0.169),
        new("Other upper respiratory disease", 0.752, 0.261, 0.747, 0.249),
        new("Pleurisy; pneumothorax; pulmonary collapse", 0.708, 0.155, 0.714, 0.158),
        new("Pneumonia (except that caused by tuberculosis or sexually transmitted disease)", 0.813, 0.384, 0.811, 0.382),
        new("Respiratory failure; insufficiency; arrest (adult)", 0.872, 0.565, 0.871, 0.565),
        new("Septicemia (except in labor)", 0.846, 0.522, 0.842, 0.512),
        new("Shock", 0.890, 0.569, 0.888, 0.552),
    ];

    static PaperNoiseRow Noise(int level, double aAuroc, double aAuprc, double aMacro, double aBinary, double mAuroc, double mAuprc, double mMacro, double mBinary) =>
        new(level, new PaperRow(aMacro, aBinary, aAuroc, aAuprc), new PaperRow(mMacro, mBinary, mAuroc, mAuprc));
}
