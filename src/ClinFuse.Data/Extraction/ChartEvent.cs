namespace ClinFuse.Data.Extraction;

/// <summary>
/// One event of a mapped item as read, already attributed to a cohort stay (by its own stay_id or,
/// for labs, by its admission): the input of cleaning.
/// </summary>
internal readonly record struct ChartEvent(int StayIndex, long Time, int ItemId, string Value, string ValueNum, string ValueUom);

/// <summary>An event after validation and cleaning: its stay (index into the cohort's stays), time (s), variable and value.</summary>
internal readonly record struct CleanEvent(int StayIndex, long Time, int Variable, CleanValue Value);

/// <summary>Counts of the event validation step (reference stage 2, <c>validate_events.py</c>).</summary>
internal sealed class EventCounts
{
    public long RowsRead;
    public long MappedRows;
    public long EmptyHadm;
    public long HadmNotInCohort;
    public long StayFilledFromHadm;
    public long StayMismatch;
    public long NullValue;
    public long Kept;
    /// <summary>Events kept after cleaning, per variable.</summary>
    public long[] PerVariable = new long[ExtractionResources.Variables.Count];
    /// <summary>Events the cleaning dropped, per variable.</summary>
    public long[] DroppedByCleaning = new long[ExtractionResources.Variables.Count];

    /// <summary>Adds another table's counts.</summary>
    public void Add(EventCounts o)
    {
        RowsRead += o.RowsRead; MappedRows += o.MappedRows; EmptyHadm += o.EmptyHadm; HadmNotInCohort += o.HadmNotInCohort;
        StayFilledFromHadm += o.StayFilledFromHadm; StayMismatch += o.StayMismatch; NullValue += o.NullValue; Kept += o.Kept;
        for (int v = 0; v < PerVariable.Length; v++)
        {
            PerVariable[v] += o.PerVariable[v];
            DroppedByCleaning[v] += o.DroppedByCleaning[v];
        }
    }
}
