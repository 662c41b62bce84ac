using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Extraction;

/// <summary>An ICU stay that passed the cohort filters, with what its episode and labels need.</summary>
public sealed record Stay
{
    public required long SubjectId { get; init; }
    public required long HadmId { get; init; }
    public required long StayId { get; init; }
    public required string LastCareunit { get; init; }
    public required DateTime Intime { get; init; }
    public required DateTime Outtime { get; init; }
    /// <summary>icustays.los (days) as written in the source, kept verbatim for parity.</summary>
    public required string LosText { get; init; }
    public double? LosDays { get; init; }
    public required DateTime Admittime { get; init; }
    public required DateTime Dischtime { get; init; }
    public DateTime? Deathtime { get; init; }
    public required string Ethnicity { get; init; }
    public required string Gender { get; init; }
    public required int AnchorAge { get; init; }
    public DateTime? Dod { get; init; }
    public required int Age { get; init; }
    public required bool MortalityInUnit { get; init; }
    public required bool Mortality { get; init; }
}

/// <summary>One diagnosis of a stay's admission (after the join with d_icd_diagnoses).</summary>
internal sealed record Diagnosis(long StayId, int SeqNum, string IcdCode, int IcdVersion);

/// <summary>A row of an episode time series: hours since ICU admission and 17 cells (null = not measured).</summary>
public sealed record EpisodeRow(double Hours, string?[] Cells);

/// <summary>
/// A stay's episode: the wide hourly series (all rows, unfiltered, ordered by hours) and the
/// episodic values derived from it.
/// </summary>
public sealed record Episode(Stay Stay, int Number, IReadOnlyList<EpisodeRow> Rows, string? Weight, string? Height, bool HasDiagnoses)
{
    /// <summary>MedFuse's file name of the series: <c>{subject}_episode{n}_timeseries.csv</c>.</summary>
    public string SeriesFileName => $"{Stay.SubjectId}_episode{Number}_timeseries.csv";
}

/// <summary>A chest X-ray linked to a sample.</summary>
internal sealed record LinkedImage(string DicomId, long StudyId, string RelativePath, DateTime StudyTime);

/// <summary>One sample of a task: a stay with its labels, observation period and linked image.</summary>
internal sealed record TaskSample(
    Episode Episode,
    Split Split,
    double PeriodHours,
    IReadOnlyList<int> Labels,
    int RowsInPeriod,
    LinkedImage? Image);
