using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Synthetic;

/// <summary>The tables the generator writes row by row (dictionaries are written whole).</summary>
public enum SynthTable
{
    Patients, Admissions, Transfers, DiagnosesIcd, LabEvents, IcuStays, ChartEvents, OutputEvents,
    CxrMetadata, CxrChexpert, CxrSplit, TruthStays, TruthImages,
}

/// <summary>
/// File names and header lines of the MIMIC-IV (v2.2 and v1.0), MIMIC-CXR-JPG 2.0.0 and truth
/// tables. Headers are copied from the MIMIC-IV demo v2.2 files and the MIMIC-IV v1.0 /
/// MIMIC-CXR-JPG documentation; they duplicate the reader's schema on purpose so that a reader bug
/// cannot hide behind a shared constant.
/// </summary>
public static class SynthTables
{
    /// <summary>The 14 CheXpert labels in MIMIC-CXR-JPG column order.</summary>
    public static IReadOnlyList<string> ChexpertLabels => Mimic.ChexpertLabels.Names;

    /// <summary>Folder of the MIMIC-IV tables inside the output (give it to <c>clinfuse extract --mimic-iv</c>).</summary>
    public const string Ehr = "mimic-iv/";

    /// <summary>Folder of the MIMIC-CXR-JPG tables and files/ inside the output (<c>--mimic-cxr</c>).</summary>
    public const string Cxr = "mimic-cxr-jpg/";

    /// <summary>Folder of the ground truth (hidden factors, oracle probabilities and metrics) inside the output.</summary>
    public const string Truth = "truth/";

    /// <summary>The oracle's metrics of both tasks, the generator's settings, and the data's attribution, inside the output.</summary>
    public const string OracleMetricsFile = Truth + "oracle_metrics.json", GeneratorFile = Truth + "generator.json", AttributionFile = "ATTRIBUTION.md";

    /// <summary>Relative path of a table's file in the given layout.</summary>
    public static string PathOf(SynthTable table, MimicIvLayout layout)
    {
        bool v1 = layout == MimicIvLayout.V1;
        string ext = v1 ? ".csv" : ".csv.gz";
        return table switch
        {
            SynthTable.Patients => Ehr + (v1 ? "core/" : "hosp/") + "patients" + ext,
            SynthTable.Admissions => Ehr + (v1 ? "core/" : "hosp/") + "admissions" + ext,
            SynthTable.Transfers => Ehr + (v1 ? "core/" : "hosp/") + "transfers" + ext,
            SynthTable.DiagnosesIcd => Ehr + "hosp/diagnoses_icd" + ext,
            SynthTable.LabEvents => Ehr + "hosp/labevents" + ext,
            SynthTable.IcuStays => Ehr + "icu/icustays" + ext,
            SynthTable.ChartEvents => Ehr + "icu/chartevents" + ext,
            SynthTable.OutputEvents => Ehr + "icu/outputevents" + ext,
            SynthTable.CxrMetadata => Cxr + "mimic-cxr-2.0.0-metadata.csv.gz",
            SynthTable.CxrChexpert => Cxr + "mimic-cxr-2.0.0-chexpert.csv.gz",
            SynthTable.CxrSplit => Cxr + "mimic-cxr-2.0.0-split.csv.gz",
            SynthTable.TruthStays => Truth + "stays.csv",
            SynthTable.TruthImages => Truth + "images.csv",
            _ => throw new ArgumentOutOfRangeException(nameof(table)),
        };
    }

    /// <summary>True when the table's file is gzip-compressed.</summary>
    public static bool IsCompressed(SynthTable table, MimicIvLayout layout) => PathOf(table, layout).EndsWith(".gz", StringComparison.Ordinal);

    /// <summary>The header line of a table in the given layout.</summary>
    public static string HeaderOf(SynthTable table, MimicIvLayout layout)
    {
        bool v1 = layout == MimicIvLayout.V1;
        return table switch
        {
            SynthTable.Patients => "subject_id,gender,anchor_age,anchor_year,anchor_year_group,dod",
            SynthTable.Admissions => v1
                ? "subject_id,hadm_id,admittime,dischtime,deathtime,admission_type,admission_location,discharge_location,insurance,language,marital_status,ethnicity,edregtime,edouttime,hospital_expire_flag"
                : "subject_id,hadm_id,admittime,dischtime,deathtime,admission_type,admit_provider_id,admission_location,discharge_location,insurance,language,marital_status,race,edregtime,edouttime,hospital_expire_flag",
            SynthTable.Transfers => "subject_id,hadm_id,transfer_id,eventtype,careunit,intime,outtime",
            SynthTable.DiagnosesIcd => "subject_id,hadm_id,seq_num,icd_code,icd_version",
            SynthTable.LabEvents => v1
                ? "labevent_id,subject_id,hadm_id,specimen_id,itemid,charttime,storetime,value,valuenum,valueuom,ref_range_lower,ref_range_upper,flag,priority,comments"
                : "labevent_id,subject_id,hadm_id,specimen_id,itemid,order_provider_id,charttime,storetime,value,valuenum,valueuom,ref_range_lower,ref_range_upper,flag,priority,comments",
            SynthTable.IcuStays => "subject_id,hadm_id,stay_id,first_careunit,last_careunit,intime,outtime,los",
            SynthTable.ChartEvents => v1
                ? "subject_id,hadm_id,stay_id,charttime,storetime,itemid,value,valuenum,valueuom,warning"
                : "subject_id,hadm_id,stay_id,caregiver_id,charttime,storetime,itemid,value,valuenum,valueuom,warning",
            SynthTable.OutputEvents => v1
                ? "subject_id,hadm_id,stay_id,charttime,storetime,itemid,value,valueuom"
                : "subject_id,hadm_id,stay_id,caregiver_id,charttime,storetime,itemid,value,valueuom",
            SynthTable.CxrMetadata => "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning",
            SynthTable.CxrChexpert => "subject_id,study_id," + string.Join(',', ChexpertLabels),
            SynthTable.CxrSplit => "dicom_id,study_id,subject_id,split",
            SynthTable.TruthStays => TruthStaysHeader,
            SynthTable.TruthImages => "dicom_id,study_id,subject_id,stay_id,hours_from_intime,view_position,opacity,effusion,heart_size,support_devices",
            _ => throw new ArgumentOutOfRangeException(nameof(table)),
        };
    }

    static readonly string TruthStaysHeader = BuildTruthStaysHeader();

    static string BuildTruthStaysHeader()
    {
        var columns = new List<string>
        {
            "subject_id", "hadm_id", "stay_id", "intime", "outtime", "los_hours", "has_events", "has_diagnoses",
            "single_unit", "single_stay_admission", "ihm_eligible", "pheno_eligible", "ihm_paired", "pheno_paired",
            "z_instability", "z_metabolic", "z_neuro", "z_lung", "z_fluid", "z_frailty",
            "ihm_label", "ihm_p", "ihm_p_fused", "ihm_p_series", "ihm_p_image",
        };
        for (int k = 0; k < 25; k++) columns.Add($"ph{k:00}_label");
        for (int k = 0; k < 25; k++) columns.Add($"ph{k:00}_p");
        for (int k = 0; k < 25; k++) columns.Add($"ph{k:00}_p_fused");
        for (int k = 0; k < 25; k++) columns.Add($"ph{k:00}_p_series");
        for (int k = 0; k < 25; k++) columns.Add($"ph{k:00}_p_image");
        return string.Join(',', columns);
    }

    /// <summary>Dictionary files: d_icd_diagnoses, d_labitems and d_items.</summary>
    public static string DIcdDiagnosesPath(MimicIvLayout layout) => Ehr + "hosp/d_icd_diagnoses" + (layout == MimicIvLayout.V1 ? ".csv" : ".csv.gz");

    /// <inheritdoc cref="DIcdDiagnosesPath"/>
    public static string DLabItemsPath(MimicIvLayout layout) => Ehr + "hosp/d_labitems" + (layout == MimicIvLayout.V1 ? ".csv" : ".csv.gz");

    /// <inheritdoc cref="DIcdDiagnosesPath"/>
    public static string DItemsPath(MimicIvLayout layout) => Ehr + "icu/d_items" + (layout == MimicIvLayout.V1 ? ".csv" : ".csv.gz");
}
