using ClinFuse.Core;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Features.TimeSeries;

/// <summary>Where each task cuts an episode, as MedFuse's EHR dataset does.</summary>
public static class EpisodeWindow
{
    /// <summary>In-hospital mortality sees the first 48 hours.</summary>
    public const double InHospitalMortalityHours = 48.0;

    /// <summary>
    /// The end (in hours) passed to the discretizer. In-hospital mortality: 48 h (its listfile period
    /// length is 0). Phenotyping: the listfile period length (length of stay in hours, the whole stay),
    /// or 48 h when it is 0, as the reference reader does.
    /// </summary>
    public static double EndHours(ClinicalTask task, double periodLength)
    {
        if (!double.IsFinite(periodLength) || periodLength < 0)
            throw new ClinFuseException($"Period length {periodLength} is not a non-negative number of hours.", "Check the listfile's period_length column.");
        return task switch
        {
            ClinicalTask.InHospitalMortality => InHospitalMortalityHours,
            ClinicalTask.Phenotyping => periodLength > 0 ? periodLength : InHospitalMortalityHours,
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, null),
        };
    }
}
