using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Synthetic;
using ClinFuse.Evaluation.Report;

namespace ClinFuse.Cli.Demo;

/// <summary>
/// The demo's working folder: one folder per stage output (<c>synth/</c>, <c>cohort/</c>,
/// <c>prepared/&lt;store&gt;/</c>, <c>runs/&lt;run&gt;/</c>, <c>report/</c>) and the report's inputs.
/// </summary>
/// <param name="Root">The working folder (<c>demo --out</c>).</param>
internal sealed record DemoLayout(string Root)
{
    string P(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The synthetic cohort (<c>clinfuse synth</c>).</summary>
    public string Synth => P("synth");
    /// <summary>Its MIMIC-IV folder.</summary>
    public string SynthMimicIv => Path.Combine(Synth, SynthTables.Ehr.TrimEnd('/'));
    /// <summary>Its MIMIC-CXR-JPG folder.</summary>
    public string SynthMimicCxr => Path.Combine(Synth, SynthTables.Cxr.TrimEnd('/'));
    /// <summary>The file <c>synth</c> writes last.</summary>
    public string SynthOracleMetrics => Path.Combine(Synth, SynthTables.OracleMetricsFile);
    /// <summary>The cohort store (<c>clinfuse extract</c>).</summary>
    public string Cohort => P("cohort");
    /// <summary>A prepared store ("plain" or "clahe").</summary>
    public string Prepared(string store) => P("prepared", store);
    /// <summary>A run folder.</summary>
    public string Run(string name) => P("runs", name);
    /// <summary>The report folder.</summary>
    public string Report => P("report");
    /// <summary>The report page.</summary>
    public string ReportHtml => Path.Combine(Report, ReportBuilder.HtmlFile);
    /// <summary>The demo's provenance (synthetic cohort, cohort flow, verdict) that the report shows.</summary>
    public string Provenance => P("provenance.json");
    /// <summary>The oracle predictions the report reads for <paramref name="task"/>.</summary>
    public string Oracle(ClinicalTask task) => P($"oracle-{ClinicalTasks.ShortName(task)}.csv");
    /// <summary>The manifest of a stage output folder.</summary>
    public static string Manifest(string folder) => Path.Combine(folder, StageManifest.FileName);
}
