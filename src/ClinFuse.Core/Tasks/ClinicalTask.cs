namespace ClinFuse.Core.Tasks;

/// <summary>The two prediction tasks of MedFuse and the paper.</summary>
public enum ClinicalTask
{
    /// <summary>In-hospital mortality from the first 48 hours of an ICU stay (one binary label).</summary>
    InHospitalMortality,

    /// <summary>Phenotyping: 25 acute-care condition labels from the whole ICU stay.</summary>
    Phenotyping,
}

/// <summary>
/// The one name table of <see cref="ClinicalTask"/>: every file, folder, manifest, recipe and command
/// line spells a task through it.
/// </summary>
public static class ClinicalTasks
{
    /// <summary>Both tasks, in the paper's order.</summary>
    public static IReadOnlyList<ClinicalTask> All { get; } = [ClinicalTask.InHospitalMortality, ClinicalTask.Phenotyping];

    /// <summary>
    /// The full name, as MedFuse's task folders, <c>labels.json</c>, manifests and prediction files write it:
    /// "in-hospital-mortality" or "phenotyping".
    /// </summary>
    public static string Name(ClinicalTask task) => task == ClinicalTask.InHospitalMortality ? "in-hospital-mortality" : "phenotyping";

    /// <summary>The short name of the command line, the cohort store's file names and the report: "ihm" or "phenotyping".</summary>
    public static string ShortName(ClinicalTask task) => task == ClinicalTask.InHospitalMortality ? "ihm" : "phenotyping";

    /// <summary>The prefix of the task's training recipes ("ihm-finetune", "pheno-finetune"): "ihm" or "pheno".</summary>
    public static string RecipePrefix(ClinicalTask task) => task == ClinicalTask.InHospitalMortality ? "ihm" : "pheno";

    /// <summary>The task a name denotes (any of the names above, any case, and "mortality", "in_hospital_mortality", "pheno", "phenotype"); null when none.</summary>
    public static ClinicalTask? TryParse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "ihm" or "in-hospital-mortality" or "in_hospital_mortality" or "mortality" => ClinicalTask.InHospitalMortality,
        "phenotyping" or "pheno" or "phenotype" => ClinicalTask.Phenotyping,
        _ => null,
    };

    /// <summary>The task <paramref name="name"/> denotes; an unknown name is a <see cref="ClinFuseException"/> naming <paramref name="where"/>.</summary>
    public static ClinicalTask Parse(string? name, string where) =>
        TryParse(name) ?? throw new ClinFuseException($"{where}: unknown task '{name}'.", "The task is \"ihm\" (in-hospital-mortality) or \"phenotyping\".");
}
