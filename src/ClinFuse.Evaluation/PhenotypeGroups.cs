namespace ClinFuse.Evaluation;

/// <summary>
/// The reference's hard-coded acute / mixed / chronic grouping of the 25 phenotypes (its
/// <c>levels</c> array, which differs from the CCS definitions' own type field).
/// </summary>
public static class PhenotypeGroups
{
    /// <summary>The 25 phenotype labels in benchmark order with their report group.</summary>
    public static IReadOnlyList<(string Label, string Group)> Labels { get; } =
    [
        ("Acute and unspecified renal failure", "acute"),
        ("Acute cerebrovascular disease", "acute"),
        ("Acute myocardial infarction", "acute"),
        ("Cardiac dysrhythmias", "mixed"),
        ("Chronic kidney disease", "chronic"),
        ("Chronic obstructive pulmonary disease and bronchiectasis", "chronic"),
        ("Complications of surgical procedures or medical care", "acute"),
        ("Conduction disorders", "mixed"),
        ("Congestive heart failure; nonhypertensive", "mixed"),
        ("Coronary atherosclerosis and other heart disease", "chronic"),
        ("Diabetes mellitus with complications", "mixed"),
        ("Diabetes mellitus without complication", "chronic"),
        ("Disorders of lipid metabolism", "chronic"),
        ("Essential hypertension", "chronic"),
        ("Fluid and electrolyte disorders", "acute"),
        ("Gastrointestinal hemorrhage", "acute"),
        ("Hypertension with complications and secondary hypertension", "chronic"),
        ("Other liver diseases", "mixed"),
        ("Other lower respiratory disease", "acute"),
        ("Other upper respiratory disease", "acute"),
        ("Pleurisy; pneumothorax; pulmonary collapse", "acute"),
        ("Pneumonia (except that caused by tuberculosis or sexually transmitted disease)", "acute"),
        ("Respiratory failure; insufficiency; arrest (adult)", "acute"),
        ("Septicemia (except in labor)", "acute"),
        ("Shock", "acute"),
    ];

    /// <summary>Group names in the order the reference prints them.</summary>
    public static IReadOnlyList<string> GroupNames { get; } = ["acute", "mixed", "chronic"];

    /// <summary>The group of each label when <paramref name="labels"/> are exactly the 25 phenotypes in order; otherwise null.</summary>
    public static string[]? GroupsOf(IReadOnlyList<string> labels)
    {
        if (labels.Count != Labels.Count) return null;
        var groups = new string[labels.Count];
        for (int i = 0; i < labels.Count; i++)
        {
            if (!string.Equals(labels[i], Labels[i].Label, StringComparison.Ordinal)) return null;
            groups[i] = Labels[i].Group;
        }
        return groups;
    }
}
