using System.Globalization;

namespace ClinFuse.Data.Mimic;

/// <summary>MIMIC date/time text (shifted calendar years 2100–2200) to <see cref="DateTime"/> and back.</summary>
internal static class MimicTime
{
    static readonly string[] Formats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm"];

    /// <summary>Parses a timestamp, or null when it is not one.</summary>
    public static DateTime? Parse(ReadOnlySpan<char> text) =>
        DateTime.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    /// <summary>The text pandas writes for a timestamp with a time part.</summary>
    public static string Format(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
