using System.Globalization;
using System.Text;
using ClinFuse.Core;

namespace ClinFuse.Evaluation;

/// <summary>
/// The predictions CSV (format <c>clinfuse-predictions/1</c>): optional <c># key=value</c> header
/// lines (task, model, split, anything else), then a header row <c>sample_id</c>,
/// <c>&lt;label&gt;_true</c>, <c>&lt;label&gt;_prob</c>, … and one row per sample. See docs/evaluation.md.
/// </summary>
public static class PredictionsFile
{
    /// <summary>The first comment line written, naming the format.</summary>
    public const string FormatLine = "# clinfuse-predictions/1";

    const string IdColumn = "sample_id";
    const string TruthSuffix = "_true";
    const string ProbabilitySuffix = "_prob";

    /// <summary>Reads and validates a predictions file; every problem is a <see cref="ClinFuseException"/> naming file, line and column.</summary>
    public static PredictionSet Read(string path)
    {
        if (!File.Exists(path))
            throw new ClinFuseException($"Predictions file not found: {path}", "Pass the CSV written by `clinfuse evaluate --run` or by your own model (format in docs/evaluation.md).");
        var lines = File.ReadAllLines(path);
        int lineIndex = 0;
        string? task = null, model = null, split = null;
        var extra = new List<KeyValuePair<string, string>>();
        for (; lineIndex < lines.Length && (lines[lineIndex].StartsWith('#') || lines[lineIndex].Trim().Length == 0); lineIndex++)
        {
            var comment = lines[lineIndex].TrimStart('#').Trim();
            int equals = comment.IndexOf('=');
            if (equals <= 0) continue;
            string key = comment[..equals].Trim(), value = comment[(equals + 1)..].Trim();
            switch (key)
            {
                case "task": task = value; break;
                case "model": model = value; break;
                case "split": split = value; break;
                default: extra.Add(new(key, value)); break;
            }
        }
        if (lineIndex >= lines.Length)
            throw new ClinFuseException($"{path}: the file has no header row.", $"The first non-comment line must be `{IdColumn},<label>{TruthSuffix},<label>{ProbabilitySuffix},...`.");

        int headerLine = lineIndex + 1;
        var header = SplitCsv(lines[lineIndex], path, headerLine);
        var layout = ParseHeader(header, path, headerLine);

        var ids = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var truth = layout.Labels.Select(_ => new List<byte>()).ToArray();
        var probabilities = layout.Labels.Select(_ => new List<double>()).ToArray();
        for (lineIndex++; lineIndex < lines.Length; lineIndex++)
        {
            if (lines[lineIndex].Trim().Length == 0) continue;
            int lineNumber = lineIndex + 1;
            var fields = SplitCsv(lines[lineIndex], path, lineNumber);
            if (fields.Count != header.Count)
                throw new ClinFuseException($"{path}, line {lineNumber}: {fields.Count} fields, the header has {header.Count}.", "Every row needs a value for every column.");
            var id = fields[0].Trim();
            if (id.Length == 0) throw new ClinFuseException($"{path}, line {lineNumber}: empty {IdColumn}.");
            if (seen.TryGetValue(id, out int first))
                throw new ClinFuseException($"{path}, line {lineNumber}: {IdColumn} '{id}' already occurs on line {first}.", "Each sample must appear once.");
            seen[id] = lineNumber;
            ids.Add(id);
            for (int l = 0; l < layout.Labels.Count; l++)
            {
                truth[l].Add(ParseTruth(fields[layout.TruthColumns[l]], path, lineNumber, header[layout.TruthColumns[l]]));
                probabilities[l].Add(ParseProbability(fields[layout.ProbabilityColumns[l]], path, lineNumber, header[layout.ProbabilityColumns[l]]));
            }
        }
        if (ids.Count == 0) throw new ClinFuseException($"{path}: the file has a header but no samples.", "Evaluate a split with at least one sample.");
        return new PredictionSet(ids, layout.Labels, truth.Select(c => c.ToArray()).ToArray(), probabilities.Select(c => c.ToArray()).ToArray(),
            new PredictionMetadata(task, model, split, extra));
    }

    /// <summary>
    /// Writes <paramref name="set"/> atomically (temp file, then rename). Rows whose entry in
    /// <paramref name="truthKnown"/> is false (new patients without outcomes) get empty truth cells.
    /// </summary>
    public static void Write(string path, PredictionSet set, IReadOnlyList<bool>? truthKnown = null)
    {
        var text = new StringBuilder();
        text.Append(FormatLine).Append('\n');
        void Meta(string key, string? value)
        {
            if (value is null) return;
            if (value.Contains('\n') || value.Contains('\r')) throw new ArgumentException($"Metadata '{key}' must be one line.");
            text.Append("# ").Append(key).Append('=').Append(value).Append('\n');
        }
        Meta("task", set.Metadata.Task);
        Meta("model", set.Metadata.Model);
        Meta("split", set.Metadata.Split);
        foreach (var (key, value) in set.Metadata.Extra ?? []) Meta(key, value);

        text.Append(IdColumn);
        foreach (var label in set.Labels)
            text.Append(',').Append(Quote(label + TruthSuffix)).Append(',').Append(Quote(label + ProbabilitySuffix));
        text.Append('\n');
        for (int i = 0; i < set.Count; i++)
        {
            text.Append(Quote(set.SampleIds[i]));
            for (int l = 0; l < set.Labels.Count; l++)
                text.Append(',').Append(truthKnown is null || truthKnown[i] ? set.Truth[l][i].ToString(CultureInfo.InvariantCulture) : "").Append(',').Append(set.Probabilities[l][i].ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }

    sealed record Layout(List<string> Labels, List<int> TruthColumns, List<int> ProbabilityColumns);

    static Layout ParseHeader(List<string> header, string path, int lineNumber)
    {
        if (header[0].Trim() != IdColumn)
            throw new ClinFuseException($"{path}, line {lineNumber}: the first column is '{header[0]}', expected '{IdColumn}'.",
                $"Header format: {IdColumn},<label>{TruthSuffix},<label>{ProbabilitySuffix},...");
        var labels = new List<string>();
        var truthColumn = new Dictionary<string, int>(StringComparer.Ordinal);
        var probabilityColumn = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 1; c < header.Count; c++)
        {
            var name = header[c].Trim();
            Dictionary<string, int> target;
            string label;
            if (name.EndsWith(TruthSuffix, StringComparison.Ordinal)) { target = truthColumn; label = name[..^TruthSuffix.Length]; }
            else if (name.EndsWith(ProbabilitySuffix, StringComparison.Ordinal)) { target = probabilityColumn; label = name[..^ProbabilitySuffix.Length]; }
            else throw new ClinFuseException($"{path}, line {lineNumber}: column '{name}' is neither <label>{TruthSuffix} nor <label>{ProbabilitySuffix}.");
            if (label.Length == 0) throw new ClinFuseException($"{path}, line {lineNumber}: column '{name}' has an empty label name.");
            if (!target.TryAdd(label, c)) throw new ClinFuseException($"{path}, line {lineNumber}: column '{name}' occurs twice.");
            if (!labels.Contains(label)) labels.Add(label);
        }
        if (labels.Count == 0)
            throw new ClinFuseException($"{path}, line {lineNumber}: no label columns.", $"Add <label>{TruthSuffix} and <label>{ProbabilitySuffix} for every label.");
        foreach (var label in labels)
        {
            if (!truthColumn.ContainsKey(label)) throw new ClinFuseException($"{path}, line {lineNumber}: label '{label}' has no '{label}{TruthSuffix}' column.");
            if (!probabilityColumn.ContainsKey(label)) throw new ClinFuseException($"{path}, line {lineNumber}: label '{label}' has no '{label}{ProbabilitySuffix}' column.");
        }
        return new Layout(labels, labels.Select(l => truthColumn[l]).ToList(), labels.Select(l => probabilityColumn[l]).ToList());
    }

    static byte ParseTruth(string field, string path, int lineNumber, string column)
    {
        var text = field.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && (value == 0 || value == 1))
            return (byte)value;
        throw new ClinFuseException($"{path}, line {lineNumber}, column '{column}': '{field}' is not a label (0 or 1).");
    }

    static double ParseProbability(string field, string path, int lineNumber, string column)
    {
        var text = field.Trim();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new ClinFuseException($"{path}, line {lineNumber}, column '{column}': '{field}' is not a number.");
        if (double.IsNaN(value) || double.IsInfinity(value))
            throw new ClinFuseException($"{path}, line {lineNumber}, column '{column}': probability is {text}.", "A model that outputs NaN or infinity diverged; fix it before evaluating.");
        if (value < 0 || value > 1)
            throw new ClinFuseException($"{path}, line {lineNumber}, column '{column}': probability {text} is outside [0, 1].", "Write probabilities (after the sigmoid), not logits.");
        return value;
    }

    /// <summary>Splits one CSV line (RFC 4180 quoting, no embedded line breaks).</summary>
    static List<string> SplitCsv(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        if (quoted) throw new ClinFuseException($"{path}, line {lineNumber}: unterminated quoted field.");
        fields.Add(field.ToString());
        return fields;
    }

    static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
