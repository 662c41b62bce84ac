using System.Globalization;
using nietras.SeparatedValues;

namespace ClinFuse.Data.Extraction;

/// <summary>One "ready" row of mimic3-benchmarks' itemid_to_variable_map.csv.</summary>
public sealed record MappedItem(int ItemId, int Variable, string MimicLabel, string UnitName)
{
    /// <summary>The label lower-cased, as the reference's unit tests on it see it.</summary>
    public string MimicLabelLower { get; } = MimicLabel.ToLowerInvariant();
}

/// <summary>A phenotype group of the HCUP-CCS definitions.</summary>
public sealed record PhenotypeGroup(string Name, bool UseInBenchmark, IReadOnlyList<string> Codes);

/// <summary>Per-variable validity ranges of variable_ranges.csv (mimic3-benchmarks).</summary>
public sealed record VariableRange(double OutlierLow, double ValidLow, double ValidHigh, double OutlierHigh);

/// <summary>
/// The data files the extraction ships with (embedded, MIT licence of mimic3-benchmarks and the
/// MedFuse adaptation): the itemid → variable map, the ICD-9/10 phenotype definitions, MedFuse's
/// subject split lists and the variable ranges.
/// </summary>
public static class ExtractionResources
{
    /// <summary>The 17 variables, in the reference's column order (Python string sort).</summary>
    public static IReadOnlyList<string> Variables { get; } =
    [
        "Capillary refill rate", "Diastolic blood pressure", "Fraction inspired oxygen",
        "Glascow coma scale eye opening", "Glascow coma scale motor response", "Glascow coma scale total",
        "Glascow coma scale verbal response", "Glucose", "Heart Rate", "Height", "Mean blood pressure",
        "Oxygen saturation", "Respiratory rate", "Systolic blood pressure", "Temperature", "Weight", "pH",
    ];

    static readonly Lazy<IReadOnlyDictionary<int, MappedItem>> items = new(LoadItems);
    static readonly Lazy<IReadOnlyList<PhenotypeGroup>> groups = new(LoadGroups);
    static readonly Lazy<IReadOnlyDictionary<long, bool>> testList = new(() => LoadFlags("testset_iv.csv"));
    static readonly Lazy<IReadOnlyDictionary<long, bool>> valList = new(() => LoadFlags("valset_iv.csv"));
    static readonly Lazy<IReadOnlyDictionary<int, VariableRange>> ranges = new(LoadRanges);

    /// <summary>The 114 ready itemids (MetaVision, CareVue and lab ids) by itemid.</summary>
    public static IReadOnlyDictionary<int, MappedItem> Items => items.Value;

    /// <summary>All 283 HCUP-CCS groups of icd_9_10_definitions_2.yaml, in file order.</summary>
    public static IReadOnlyList<PhenotypeGroup> PhenotypeGroups => groups.Value;

    /// <summary>The 25 benchmark phenotype labels in listfile order (alphabetical).</summary>
    public static IReadOnlyList<string> PhenotypeLabels { get; } =
        [.. groups.Value.Where(g => g.UseInBenchmark).Select(g => g.Name).OrderBy(n => n, StringComparer.Ordinal)];

    /// <summary>MedFuse testset_iv.csv: subject → flagged as test.</summary>
    public static IReadOnlyDictionary<long, bool> MedFuseTestList => testList.Value;

    /// <summary>MedFuse valset_iv.csv: subject → flagged as validation.</summary>
    public static IReadOnlyDictionary<long, bool> MedFuseValidationList => valList.Value;

    /// <summary>Ranges by variable index (variables without ranges are absent).</summary>
    public static IReadOnlyDictionary<int, VariableRange> Ranges => ranges.Value;

    static Stream Open(string name) =>
        typeof(ExtractionResources).Assembly.GetManifestResourceStream("ClinFuse.Data.Extraction." + name)
        ?? throw new InvalidOperationException($"Embedded resource {name} is missing from the build.");

    static IReadOnlyDictionary<int, MappedItem> LoadItems()
    {
        var result = new Dictionary<int, MappedItem>();
        using var reader = new StreamReader(Open("itemid_to_variable_map.ready.csv"));
        using var sep = Sep.Reader(o => o with { Unescape = true }).From(reader);
        foreach (var row in sep)
        {
            var variable = IndexOfVariable(row["LEVEL2"].ToString());
            var id = int.Parse(row["ITEMID"].Span, CultureInfo.InvariantCulture);
            result[id] = new MappedItem(id, variable, row["MIMIC LABEL"].ToString(), row["UNITNAME"].ToString());
        }
        return result;
    }

    /// <summary>Index of a variable name in <see cref="Variables"/>.</summary>
    public static int IndexOfVariable(string name)
    {
        for (int i = 0; i < Variables.Count; i++)
            if (string.Equals(Variables[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    // The definitions file is a fixed, simple YAML shape (group: {codes: [..], id, type, use_in_benchmark});
    // a tiny reader keeps the product free of a YAML dependency.
    static IReadOnlyList<PhenotypeGroup> LoadGroups()
    {
        var result = new List<PhenotypeGroup>();
        using var reader = new StreamReader(Open("icd_9_10_definitions_2.yaml"));
        string? name = null;
        var codes = new List<string>();
        var use = false;
        void Flush()
        {
            if (name is not null) result.Add(new PhenotypeGroup(name, use, codes.ToArray()));
            codes.Clear();
            use = false;
        }
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            if (line[0] != ' ')
            {
                Flush();
                name = Unquote(line.TrimEnd()[..^1]);
            }
            else if (line.StartsWith("  - ", StringComparison.Ordinal)) codes.Add(Unquote(line[4..].Trim()));
            else if (line.StartsWith("  use_in_benchmark:", StringComparison.Ordinal)) use = line.EndsWith("true", StringComparison.Ordinal);
        }
        Flush();
        return result;
    }

    static string Unquote(string s) =>
        s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0] ? s[1..^1].Replace("''", "'") : s;

    static IReadOnlyDictionary<long, bool> LoadFlags(string name)
    {
        var result = new Dictionary<long, bool>();
        using var reader = new StreamReader(Open(name));
        while (reader.ReadLine() is { } line)
        {
            var comma = line.IndexOf(',');
            if (comma <= 0) continue;
            result[long.Parse(line.AsSpan(0, comma), CultureInfo.InvariantCulture)] = line.AsSpan(comma + 1).Trim().SequenceEqual("1");
        }
        return result;
    }

    static IReadOnlyDictionary<int, VariableRange> LoadRanges()
    {
        var result = new Dictionary<int, VariableRange>();
        using var reader = new StreamReader(Open("variable_ranges.csv"));
        using var sep = Sep.Reader(o => o with { Unescape = true }).From(reader);
        foreach (var row in sep)
        {
            var variable = IndexOfVariable(row["LEVEL2"].ToString());
            if (variable < 0 || row["OUTLIER LOW"].Span.IsEmpty) continue;
            result[variable] = new VariableRange(
                double.Parse(row["OUTLIER LOW"].Span, CultureInfo.InvariantCulture), double.Parse(row["VALID LOW"].Span, CultureInfo.InvariantCulture),
                double.Parse(row["VALID HIGH"].Span, CultureInfo.InvariantCulture), double.Parse(row["OUTLIER HIGH"].Span, CultureInfo.InvariantCulture));
        }
        return result;
    }
}
