using ClinFuse.Core;
using System.Text.RegularExpressions;

namespace ClinFuse.Data.Extraction;

/// <summary>A cleaned value: a number (written as Python's float repr) or text kept verbatim.</summary>
internal readonly record struct CleanValue(double Number, string? Text)
{
    /// <summary>True for a number.</summary>
    public bool IsNumber => Text is null;

    /// <summary>The cell text as the reference writes it.</summary>
    public string Cell => Text ?? PythonFloat.Repr(Number);

    /// <summary>Order used to pick one value per (time, variable): numbers numerically, text ordinally.</summary>
    public static int Compare(CleanValue a, CleanValue b) =>
        a.IsNumber && b.IsNumber ? a.Number.CompareTo(b.Number)
        : a.IsNumber ? -1 : b.IsNumber ? 1 // pandas' safe sort puts numbers before strings
        : string.CompareOrdinal(a.Text, b.Text);
}

/// <summary>
/// The per-variable cleaning of mimic3-benchmarks' <c>preprocessing.py</c> as MedFuse runs it on
/// MIMIC-IV (unit column replaced by valuenum, so unit logic is dead), and the corrected default.
/// </summary>
internal static partial class EventCleaning
{
    const int CapillaryRefill = 0, Dbp = 1, FiO2 = 2, GcsEye = 3, GcsMotor = 4, GcsTotal = 5, GcsVerbal = 6, Glucose = 7,
        Height = 9, SpO2 = 11, Sbp = 13, Temperature = 14, Weight = 15, PH = 16;

    [GeneratedRegex(@"^\d+/\d+$")]
    private static partial Regex BloodPressurePair();

    [GeneratedRegex(@"^(\d+(\.\d*)?|\.\d+)$")]
    private static partial Regex UnsignedDecimal();

    /// <summary>Cleans one event; null means the reference drops it.</summary>
    public static CleanValue? Clean(in ChartEvent e, MappedItem item, CompatMode compat) =>
        compat == CompatMode.MedFuse ? CleanMedFuse(e, item) : CleanFixed(e, item);

    static CleanValue? CleanMedFuse(in ChartEvent e, MappedItem item)
    {
        var v = e.Value;
        // Python's float() on anything else ends the reference process; the caller reports it.
        double F(string s) => PythonFloat.TryParse(s, out var d) ? d : throw new FormatException($"value '{s}' of item {item.ItemId} is not a number (the reference would stop here)");
        var label = item.MimicLabelLower;
        switch (item.Variable)
        {
            case Sbp or Dbp:
                if (BloodPressurePair().IsMatch(v)) v = v.Split('/')[item.Variable == Sbp ? 0 : 1];
                return Num(F(v));
            case CapillaryRefill:
                return v is "Normal <3 secs" or "Brisk" ? Num(0) : v is "Abnormal >3 secs" or "Delayed" ? Num(1) : null;
            case FiO2:
                // The "is a string" test collapses to True for the whole column: every value is divided.
                return Num(F(v) / 100.0);
            case Glucose or PH:
                return UnsignedDecimal().IsMatch(v) ? Num(F(v)) : null;
            case SpO2:
                if (!UnsignedDecimal().IsMatch(v)) return null;
                var o = F(v);
                return Num(o <= 1 ? o * 100.0 : o);
            case Temperature:
                var t = F(v);
                return Num(t >= 79 ? (t - 32) * 5.0 / 9 : t);
            case Weight:
                var w = F(v);
                var oz = label.Contains("oz", StringComparison.Ordinal);
                if (oz) w /= 16.0;
                if (oz || label.Contains("lb", StringComparison.Ordinal)) w *= 0.453592;
                return Num(w);
            case Height:
                var h = F(v);
                return Num(label.Contains("in", StringComparison.Ordinal) ? Math.Round(h * 2.54, MidpointRounding.ToEven) : h);
            default:
                return new CleanValue(0, v);
        }
    }

    static CleanValue? CleanFixed(in ChartEvent e, MappedItem item)
    {
        var variable = item.Variable;
        if (variable is GcsEye or GcsMotor or GcsVerbal or GcsTotal or CapillaryRefill)
        {
            if (variable == CapillaryRefill)
                return e.Value is "Normal <3 secs" or "Brisk" ? Num(0) : e.Value is "Abnormal >3 secs" or "Delayed" ? Num(1) : null;
            return e.Value.Length == 0 ? null : new CleanValue(0, e.Value);
        }
        var text = e.Value;
        if (variable is Sbp or Dbp && BloodPressurePair().IsMatch(text)) text = text.Split('/')[variable == Sbp ? 0 : 1];
        // MIMIC-IV v2+ redacts some lab text ("___") but keeps the number in valuenum.
        if (!PythonFloat.TryParse(text, out var v) || !double.IsFinite(v))
        {
            if (!PythonFloat.TryParse(e.ValueNum, out v) || !double.IsFinite(v)) return null;
        }
        var unit = UnitOf(item, e.ValueUom);
        switch (variable)
        {
            case FiO2:
                if (!unit.HasFlag(Unit.Torr) && v > 1.0) v /= 100.0;
                break;
            case SpO2:
                if (v <= 1) v *= 100.0;
                break;
            case Temperature:
                if (unit.HasFlag(Unit.Fahrenheit) || v >= 79) v = (v - 32) * 5.0 / 9;
                break;
            case Weight:
                if (unit.HasFlag(Unit.Ounce)) v /= 16.0;
                if (unit.HasFlag(Unit.Ounce) || unit.HasFlag(Unit.Pound)) v *= 0.453592;
                break;
            case Height:
                if (unit.HasFlag(Unit.Inch)) v = Math.Round(v * 2.54, MidpointRounding.ToEven);
                break;
        }
        if (ExtractionResources.Ranges.TryGetValue(variable, out var range))
        {
            if (v < range.OutlierLow || v > range.OutlierHigh) return null;
            v = Math.Clamp(v, range.ValidLow, range.ValidHigh);
        }
        return Num(v);
    }

    static CleanValue Num(double v) => new(v, null);

    /// <summary>Units that change a value, read from the event's valueuom, the map's unit and the item label.</summary>
    [Flags]
    enum Unit
    {
        None = 0,
        Torr = 1,
        Fahrenheit = 2,
        Ounce = 4,
        Pound = 8,
        Inch = 16,
    }

    // valueuom strings are interned per table, so a small cache keyed by (item, uom) avoids lower-casing per event.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, string), Unit> UnitCache = new();

    static Unit UnitOf(MappedItem item, string valueUom) => UnitCache.GetOrAdd((item.ItemId, valueUom), static (key, item) =>
    {
        var text = (key.Item2 + " " + item.UnitName + " " + item.MimicLabel).ToLowerInvariant();
        var words = text.Split([' ', '(', ')', '[', ']', '.'], StringSplitOptions.RemoveEmptyEntries);
        var unit = Unit.None;
        if (text.Contains("torr", StringComparison.Ordinal)) unit |= Unit.Torr;
        if (text.Contains("°f", StringComparison.Ordinal) || text.Contains("?f", StringComparison.Ordinal) || text.Contains("fahrenheit", StringComparison.Ordinal) || words.Contains("f")) unit |= Unit.Fahrenheit;
        if (words.Contains("oz")) unit |= Unit.Ounce;
        if (words.Contains("lb") || words.Contains("lbs")) unit |= Unit.Pound;
        if (text.Contains("inch", StringComparison.Ordinal) || words.Contains("in")) unit |= Unit.Inch;
        return unit;
    }, item);
}
