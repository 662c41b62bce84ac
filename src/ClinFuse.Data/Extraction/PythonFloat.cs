using System.Globalization;

namespace ClinFuse.Data.Extraction;

/// <summary>
/// Python's <c>repr(float)</c>: the shortest text that round-trips, fixed notation for decimal
/// exponents in [-4, 16), otherwise <c>1e-05</c> style; integral values keep a trailing <c>.0</c>.
/// The reference writes every float this way, so byte parity depends on it.
/// </summary>
internal static class PythonFloat
{
    /// <summary>Formats <paramref name="value"/> as Python's repr does.</summary>
    public static string Repr(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        // Fast path: in [1e-4, 1e15) .NET and Python agree on fixed notation; Python adds ".0" to integers.
        var magnitude = Math.Abs(value);
        if (magnitude >= 1e-4 && magnitude < 1e15 && shortest.IndexOf('E') < 0)
            return shortest.Contains('.') ? shortest : shortest + ".0";
        var negative = shortest[0] == '-';
        var body = negative ? shortest[1..] : shortest;
        string digits;
        int exponent; // value = 0.d1d2... × 10^exponent
        var e = body.IndexOfAny(['E', 'e']);
        var mantissa = e >= 0 ? body[..e] : body;
        var extra = e >= 0 ? int.Parse(body[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var all = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - all.Length;
        exponent = intPart.Length - leadingZeros + extra;
        digits = all.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var exp10 = exponent - 1;
        string text;
        if (exp10 >= -4 && exp10 < 16)
        {
            if (exponent <= 0) text = "0." + new string('0', -exponent) + digits;
            else if (exponent >= digits.Length) text = digits + new string('0', exponent - digits.Length) + ".0";
            else text = digits[..exponent] + "." + digits[exponent..];
        }
        else
        {
            var m = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            text = m + "e" + (exp10 < 0 ? "-" : "+") + Math.Abs(exp10).ToString("00", CultureInfo.InvariantCulture);
        }
        return negative ? "-" + text : text;
    }

    /// <summary>
    /// Python's <c>float(text)</c>: surrounding whitespace allowed, decimal or exponent notation,
    /// <c>inf</c>/<c>nan</c> words; returns false where Python would raise.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out double value)
    {
        var t = text.Trim();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        var sign = 1.0;
        if (t.Length > 0 && (t[0] == '+' || t[0] == '-')) { sign = t[0] == '-' ? -1 : 1; t = t[1..]; }
        if (t.Equals("inf", StringComparison.OrdinalIgnoreCase) || t.Equals("infinity", StringComparison.OrdinalIgnoreCase)) { value = sign * double.PositiveInfinity; return true; }
        if (t.Equals("nan", StringComparison.OrdinalIgnoreCase)) { value = double.NaN; return true; }
        value = 0;
        return false;
    }

    static readonly double[] PowersOfTen = [.. Enumerable.Range(0, 309).Select(i => double.Parse("1e" + i.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))];

    /// <summary>
    /// pandas' <c>read_csv</c> float parser (<c>precise_xstrtod</c>, pandas 1.x): at most 17 digits are
    /// accumulated in a double and then scaled by a power of ten, which is not always correctly
    /// rounded (<c>1.1352314814814815</c> reads as <c>1.1352314814814817</c>). Parity needs it where the
    /// reference reads a float column with pandas; returns false for text it would not read as a number.
    /// </summary>
    public static bool TryParsePandas(ReadOnlySpan<char> text, out double value)
    {
        value = 0;
        var s = text.Trim();
        int i = 0, digits = 0, exponent = 0;
        var negative = false;
        double number = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        var start = i;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (digits < 17) { number = number * 10.0 + (s[i] - '0'); digits++; }
            else exponent++;
        }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var decimals = 0;
            for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
            {
                if (digits >= 17) continue;
                number = number * 10.0 + (s[i] - '0');
                digits++;
                decimals++;
            }
            exponent -= decimals;
        }
        if (i == start || (i == start + 1 && s[start] == '.')) return false;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            if (!int.TryParse(s[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e)) return false;
            exponent += e;
            i = s.Length;
        }
        if (i != s.Length) return false;
        if (exponent > 308) number = double.PositiveInfinity;
        else if (exponent > 0) number *= PowersOfTen[exponent];
        else if (exponent < -616) number = 0;
        else if (exponent < -308) number = number / PowersOfTen[-308 - exponent] / PowersOfTen[308];
        else number /= PowersOfTen[-exponent];
        value = negative ? -number : number;
        return true;
    }
}
