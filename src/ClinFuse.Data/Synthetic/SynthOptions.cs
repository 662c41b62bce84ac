using ClinFuse.Data.Mimic;
using ClinFuse.Core;

namespace ClinFuse.Data.Synthetic;

/// <summary>Which chest X-ray files to write.</summary>
public enum SynthImages
{
    /// <summary>Tables only, no JPEG files.</summary>
    None,
    /// <summary>512 px wide, as the reference pipeline's resize step produces.</summary>
    Small,
    /// <summary>Original MIMIC-CXR-JPG size (about 2.5k × 3k).</summary>
    Full,
}

/// <summary>Settings of one synthetic cohort.</summary>
/// <param name="Patients">Number of patients (each has at least one ICU stay).</param>
/// <param name="Seed">Run seed; patient i draws from its own stream (Seed, i).</param>
/// <param name="Images">Chest X-ray files to write.</param>
/// <param name="Layout">MIMIC-IV folder layout.</param>
/// <param name="FillerChartRowsPerHour">
/// Chart rows per ICU hour of items outside the 17 benchmark variables (alarms, assessments,
/// ventilator settings). They make chartevents as large as MIMIC-IV's (≈ 300 M rows for 50k
/// patients at the default of 50) so readers are tested on realistic volume; 0 leaves only the mapped items.
/// </param>
public sealed record SynthOptions(
    int Patients,
    int Seed,
    SynthImages Images = SynthImages.Small,
    MimicIvLayout Layout = MimicIvLayout.V2,
    int FillerChartRowsPerHour = 50)
{
    /// <summary>Largest cohort: ids are laid out as 8-digit MIMIC-style numbers with 150 slots per patient.</summary>
    public const int MaxPatients = 65_000;

    /// <summary>Patients generated per block; fixed so that the output does not depend on the thread count.</summary>
    public const int PatientsPerBlock = 32;

    /// <summary>Throws a <see cref="ClinFuseException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (Patients is < 1 or > MaxPatients)
            throw new ClinFuseException($"--patients must be between 1 and {MaxPatients:N0}, got {Patients}.",
                "MIMIC-IV has about 50,000 ICU patients; ask for at most that many.", ExitCodes.Usage);
        if (FillerChartRowsPerHour is < 0 or > 1000)
            throw new ClinFuseException($"The filler chart rate must be between 0 and 1000 rows per hour, got {FillerChartRowsPerHour}.", null, ExitCodes.Usage);
    }
}
