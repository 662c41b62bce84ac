using System.Text.Json.Serialization;

namespace ClinFuse.Data.Cohort;

// Row shapes of the cohort store's Parquet files (Parquet.Net's serializer needs settable
// properties). Column names are documented in docs/cohort-store.md; the reader turns rows into
// the public records of CohortStore.

/// <summary>A row of stays.parquet.</summary>
public sealed class StayRow
{
    [JsonPropertyName("stay_id")] public long StayId { get; set; }
    [JsonPropertyName("subject_id")] public long SubjectId { get; set; }
    [JsonPropertyName("hadm_id")] public long HadmId { get; set; }
    [JsonPropertyName("split")] public string Split { get; set; } = "";
    [JsonPropertyName("episode")] public int? Episode { get; set; }
    [JsonPropertyName("intime")] public DateTime Intime { get; set; }
    [JsonPropertyName("outtime")] public DateTime Outtime { get; set; }
    [JsonPropertyName("los_days")] public double? LosDays { get; set; }
    [JsonPropertyName("age")] public int Age { get; set; }
    [JsonPropertyName("gender")] public string Gender { get; set; } = "";
    [JsonPropertyName("ethnicity")] public string Ethnicity { get; set; } = "";
    [JsonPropertyName("last_careunit")] public string LastCareunit { get; set; } = "";
    [JsonPropertyName("mortality")] public int Mortality { get; set; }
    [JsonPropertyName("mortality_inunit")] public int MortalityInUnit { get; set; }
    [JsonPropertyName("has_diagnoses")] public bool HasDiagnoses { get; set; }
    [JsonPropertyName("weight")] public string? Weight { get; set; }
    [JsonPropertyName("height")] public string? Height { get; set; }
}

/// <summary>A row of samples_ihm.parquet / samples_phenotyping.parquet.</summary>
public sealed class SampleRow
{
    [JsonPropertyName("stay_id")] public long StayId { get; set; }
    [JsonPropertyName("subject_id")] public long SubjectId { get; set; }
    [JsonPropertyName("episode")] public int Episode { get; set; }
    [JsonPropertyName("series_file")] public string SeriesFile { get; set; } = "";
    [JsonPropertyName("split")] public string Split { get; set; } = "";
    [JsonPropertyName("period_length")] public double PeriodLength { get; set; }
    [JsonPropertyName("labels")] public List<int> Labels { get; set; } = [];
    [JsonPropertyName("rows_in_period")] public int RowsInPeriod { get; set; }
    [JsonPropertyName("cxr_dicom_id")] public string? CxrDicomId { get; set; }
    [JsonPropertyName("cxr_study_id")] public long? CxrStudyId { get; set; }
    [JsonPropertyName("cxr_path")] public string? CxrPath { get; set; }
    [JsonPropertyName("cxr_study_time")] public DateTime? CxrStudyTime { get; set; }
}

/// <summary>A row of timeseries.parquet: one episode row in MedFuse's wide form.</summary>
internal sealed class SeriesRow
{
    [JsonPropertyName("stay_id")] public long StayId { get; set; }
    [JsonPropertyName("Hours")] public double Hours { get; set; }
    [JsonPropertyName("Capillary refill rate")] public string? CapillaryRefillRate { get; set; }
    [JsonPropertyName("Diastolic blood pressure")] public string? DiastolicBloodPressure { get; set; }
    [JsonPropertyName("Fraction inspired oxygen")] public string? FractionInspiredOxygen { get; set; }
    [JsonPropertyName("Glascow coma scale eye opening")] public string? GcsEyeOpening { get; set; }
    [JsonPropertyName("Glascow coma scale motor response")] public string? GcsMotorResponse { get; set; }
    [JsonPropertyName("Glascow coma scale total")] public string? GcsTotal { get; set; }
    [JsonPropertyName("Glascow coma scale verbal response")] public string? GcsVerbalResponse { get; set; }
    [JsonPropertyName("Glucose")] public string? Glucose { get; set; }
    [JsonPropertyName("Heart Rate")] public string? HeartRate { get; set; }
    [JsonPropertyName("Height")] public string? Height { get; set; }
    [JsonPropertyName("Mean blood pressure")] public string? MeanBloodPressure { get; set; }
    [JsonPropertyName("Oxygen saturation")] public string? OxygenSaturation { get; set; }
    [JsonPropertyName("Respiratory rate")] public string? RespiratoryRate { get; set; }
    [JsonPropertyName("Systolic blood pressure")] public string? SystolicBloodPressure { get; set; }
    [JsonPropertyName("Temperature")] public string? Temperature { get; set; }
    [JsonPropertyName("Weight")] public string? Weight { get; set; }
    [JsonPropertyName("pH")] public string? PH { get; set; }

    /// <summary>The 17 cells in variable order.</summary>
    public string?[] Cells() =>
    [
        CapillaryRefillRate, DiastolicBloodPressure, FractionInspiredOxygen, GcsEyeOpening, GcsMotorResponse, GcsTotal,
        GcsVerbalResponse, Glucose, HeartRate, Height, MeanBloodPressure, OxygenSaturation, RespiratoryRate,
        SystolicBloodPressure, Temperature, Weight, PH,
    ];
}

/// <summary>A row of timeseries_index.parquet: where a stay's rows are in timeseries.parquet.</summary>
internal sealed class SeriesIndexRow
{
    [JsonPropertyName("stay_id")] public long StayId { get; set; }
    [JsonPropertyName("row_group")] public int RowGroup { get; set; }
    [JsonPropertyName("first_row")] public int FirstRow { get; set; }
    [JsonPropertyName("row_count")] public int RowCount { get; set; }
}

/// <summary>A row of cxr_images.parquet: every image of a cohort subject, with the split of its subject.</summary>
public sealed class CxrImageRow
{
    [JsonPropertyName("dicom_id")] public string DicomId { get; set; } = "";
    [JsonPropertyName("subject_id")] public long SubjectId { get; set; }
    [JsonPropertyName("study_id")] public long StudyId { get; set; }
    [JsonPropertyName("view_position")] public string ViewPosition { get; set; } = "";
    [JsonPropertyName("study_time")] public DateTime? StudyTime { get; set; }
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    [JsonPropertyName("split")] public string Split { get; set; } = "";
}
