using System.Reflection;

namespace ClinFuse.Data.Synthetic;

/// <summary>
/// The label side of the generative model: in-hospital mortality and the 25 CCS phenotypes as
/// logistic functions of the admission's latent factors (order of <see cref="LatentFactor"/>:
/// instability, metabolic, neuro, lung, fluid, frailty). Prevalences follow MIMIC-IV benchmark
/// cohorts; loadings put part of each label's signal in the series only (instability, metabolic,
/// neuro), part in the images only (lung) and part in both (fluid).
/// </summary>
internal static class CohortModel
{
    /// <summary>In-hospital mortality of the admission.</summary>
    public static LabelModel Mortality { get; } = new("in-hospital-mortality", 0.125, [0.9, 0.5, 0.6, 0.9, 0.8, 0.4]);

    /// <summary>The 25 benchmark phenotypes in listfile order (alphabetical CCS group names).</summary>
    public static IReadOnlyList<LabelModel> Phenotypes { get; } = BuildPhenotypes();

    static IReadOnlyList<LabelModel> BuildPhenotypes()
    {
        var names = SyntheticResources.PhenotypeGroups;
        //                         prevalence  inst  metab neuro lung  fluid frail
        double[][] rows =
        [
            [0.21, 0.4, 1.0, 0.0, 0.0, 0.0, 0.3], // Acute and unspecified renal failure
            [0.075, 0.0, 0.0, 1.3, 0.0, 0.0, 0.3], // Acute cerebrovascular disease
            [0.10, 0.6, 0.0, 0.0, 0.0, 0.5, 0.4], // Acute myocardial infarction
            [0.32, 0.7, 0.0, 0.0, 0.0, 0.2, 0.5], // Cardiac dysrhythmias
            [0.13, 0.0, 0.7, 0.0, 0.0, 0.0, 0.9], // Chronic kidney disease
            [0.13, 0.0, 0.0, 0.0, 0.7, 0.2, 0.6], // COPD and bronchiectasis
            [0.21, 0.3, 0.0, 0.0, 0.0, 0.0, 0.2], // Complications of surgical procedures or medical care
            [0.07, 0.4, 0.0, 0.0, 0.0, 0.0, 0.5], // Conduction disorders
            [0.27, 0.0, 0.0, 0.0, 0.0, 1.3, 0.6], // Congestive heart failure; nonhypertensive
            [0.32, 0.2, 0.0, 0.0, 0.0, 0.3, 0.9], // Coronary atherosclerosis and other heart disease
            [0.095, 0.0, 0.9, 0.0, 0.0, 0.0, 0.6], // Diabetes mellitus with complications
            [0.19, 0.0, 0.6, 0.0, 0.0, 0.0, 0.4], // Diabetes mellitus without complication
            [0.29, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9], // Disorders of lipid metabolism
            [0.42, -0.3, 0.0, 0.0, 0.0, 0.0, 0.6], // Essential hypertension
            [0.27, 0.3, 0.9, 0.0, 0.0, 0.0, 0.2], // Fluid and electrolyte disorders
            [0.07, 0.6, 0.0, 0.0, 0.0, 0.0, 0.2], // Gastrointestinal hemorrhage
            [0.13, 0.0, 0.6, 0.0, 0.0, 0.2, 0.7], // Hypertension with complications and secondary hypertension
            [0.08, 0.2, 0.6, 0.0, 0.0, 0.0, 0.2], // Other liver diseases
            [0.05, 0.0, 0.0, 0.0, 0.9, 0.0, 0.2], // Other lower respiratory disease
            [0.04, 0.0, 0.0, 0.0, 0.5, 0.0, 0.2], // Other upper respiratory disease
            [0.09, 0.0, 0.0, 0.0, 0.6, 0.9, 0.1], // Pleurisy; pneumothorax; pulmonary collapse
            [0.14, 0.2, 0.0, 0.0, 1.4, 0.0, 0.2], // Pneumonia
            [0.18, 0.4, 0.0, 0.0, 0.9, 0.7, 0.1], // Respiratory failure; insufficiency; arrest (adult)
            [0.14, 1.1, 0.4, 0.0, 0.3, 0.0, 0.2], // Septicemia (except in labor)
            [0.08, 1.4, 0.2, 0.0, 0.0, 0.2, 0.0], // Shock
        ];
        if (names.Count != rows.Length)
            throw new InvalidOperationException($"Phenotype resource lists {names.Count} groups, the model {rows.Length}.");
        var models = new LabelModel[rows.Length];
        for (int k = 0; k < rows.Length; k++) models[k] = new LabelModel(names[k], rows[k][0], rows[k][1..]);
        return models;
    }
}

/// <summary>Embedded resource tables: phenotype groups, ICD codes with titles, item dictionaries.</summary>
internal static class SyntheticResources
{
    /// <summary>The 25 benchmark CCS group names, alphabetical.</summary>
    public static IReadOnlyList<string> PhenotypeGroups { get; } = ReadLines("phenotype-groups.txt");

    /// <summary>Diagnosis codes the generator uses: group index (-1 = not a benchmark group), code, version, title.</summary>
    public static IReadOnlyList<IcdCode> IcdCodes { get; } = ReadIcdCodes();

    /// <summary>The rows of icu/d_items for the items the generator charts (verbatim from MIMIC-IV demo 2.2).</summary>
    public static string DItemsCsv { get; } = ReadText("d_items.csv");

    /// <summary>The rows of hosp/d_labitems for the lab items the generator writes (verbatim from MIMIC-IV demo 2.2).</summary>
    public static string DLabItemsCsv { get; } = ReadText("d_labitems.csv");

    static string ReadText(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"ClinFuse.Data.Synthetic.Resources.{name}")
            ?? throw new InvalidOperationException($"Embedded resource {name} missing from ClinFuse.Data.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    static string[] ReadLines(string name) => ReadText(name).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    static IcdCode[] ReadIcdCodes()
    {
        var lines = ReadLines("icd-codes.tsv");
        var codes = new IcdCode[lines.Length - 1];
        for (int i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split('\t');
            codes[i - 1] = new IcdCode(int.Parse(f[0]), f[1], int.Parse(f[2]), f[3]);
        }
        return codes;
    }
}

/// <summary>One ICD diagnosis code with its CCS benchmark group (-1 when none).</summary>
internal sealed record IcdCode(int Group, string Code, int Version, string Title);
