namespace ClinFuse.Data.Extraction;

/// <summary>
/// One event of a mapped item, already attributed to a cohort stay (by its own stay_id or, for labs,
/// by its admission). Text is interned per table, so millions of events share few strings.
/// </summary>
public readonly record struct ChartEvent(int StayIndex, long Time, int ItemId, string Value, string ValueNum, string ValueUom);

/// <summary>Counts of the event validation step (reference stage 2, <c>validate_events.py</c>).</summary>
public sealed class EventCounts
{
    public long RowsRead;
    public long MappedRows;
    public long EmptyHadm;
    public long HadmNotInCohort;
    public long StayFilledFromHadm;
    public long StayMismatch;
    public long NullValue;
    public long Kept;

    /// <summary>Adds another table's counts.</summary>
    public void Add(EventCounts o)
    {
        RowsRead += o.RowsRead; MappedRows += o.MappedRows; EmptyHadm += o.EmptyHadm; HadmNotInCohort += o.HadmNotInCohort;
        StayFilledFromHadm += o.StayFilledFromHadm; StayMismatch += o.StayMismatch; NullValue += o.NullValue; Kept += o.Kept;
    }
}
