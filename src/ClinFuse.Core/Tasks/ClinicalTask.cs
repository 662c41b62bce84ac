namespace ClinFuse.Core.Tasks;

/// <summary>The two prediction tasks of MedFuse and the paper.</summary>
public enum ClinicalTask
{
    /// <summary>In-hospital mortality from the first 48 hours of an ICU stay (one binary label).</summary>
    InHospitalMortality,

    /// <summary>Phenotyping: 25 acute-care condition labels from the whole ICU stay.</summary>
    Phenotyping,
}
