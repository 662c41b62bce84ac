namespace ClinFuse.Features.Tests.TimeSeries;

/// <summary>
/// The 17 clinical variables of the MIMIC benchmark episode files, in the order of the reference
/// discretizer configuration (<c>id_to_channel</c>). Episode CSV column j (after <c>Hours</c>) is
/// channel j; the index of a name in <see cref="Names"/> is its channel index everywhere.
/// </summary>
public static class SeriesChannels
{
    public const string CapillaryRefillRate = "Capillary refill rate";
    public const string DiastolicBloodPressure = "Diastolic blood pressure";
    public const string FractionInspiredOxygen = "Fraction inspired oxygen";
    public const string GcsEyeOpening = "Glascow coma scale eye opening";
    public const string GcsMotorResponse = "Glascow coma scale motor response";
    public const string GcsTotal = "Glascow coma scale total";
    public const string GcsVerbalResponse = "Glascow coma scale verbal response";
    public const string Glucose = "Glucose";
    public const string HeartRate = "Heart Rate";
    public const string Height = "Height";
    public const string MeanBloodPressure = "Mean blood pressure";
    public const string OxygenSaturation = "Oxygen saturation";
    public const string RespiratoryRate = "Respiratory rate";
    public const string SystolicBloodPressure = "Systolic blood pressure";
    public const string Temperature = "Temperature";
    public const string Weight = "Weight";
    public const string PH = "pH";

    /// <summary>Number of channels.</summary>
    public const int Count = 17;

    /// <summary>Channel names in channel-index order (the spelling "Glascow" is the benchmark's own).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        CapillaryRefillRate, DiastolicBloodPressure, FractionInspiredOxygen, GcsEyeOpening, GcsMotorResponse,
        GcsTotal, GcsVerbalResponse, Glucose, HeartRate, Height, MeanBloodPressure, OxygenSaturation,
        RespiratoryRate, SystolicBloodPressure, Temperature, Weight, PH,
    ];

    /// <summary>The channel index of <paramref name="name"/>, or -1 when it is not a channel name.</summary>
    public static int IndexOf(string name)
    {
        for (int i = 0; i < Count; i++)
            if (string.Equals(Names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }
}
