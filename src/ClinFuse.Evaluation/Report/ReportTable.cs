using System.Net;
using System.Text;

namespace ClinFuse.Evaluation.Report;

/// <summary>A table of the report, rendered both as Markdown (tables/*.md) and as HTML.</summary>
/// <param name="FileName">File name under tables/ without extension, e.g. "table1_ihm".</param>
/// <param name="Title">Heading, e.g. "Table I — In-hospital mortality".</param>
/// <param name="Note">A sentence under the table (what the numbers are, where paper values come from).</param>
/// <param name="Header">Column headings.</param>
/// <param name="Rows">Cells, one array per row, as many as <paramref name="Header"/>.</param>
public sealed record ReportTable(string FileName, string Title, string Note, IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows)
{
    /// <summary>GitHub-flavoured Markdown with the title as a heading.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("## ").Append(Title).Append("\n\n");
        text.Append("| ").Append(string.Join(" | ", Header.Select(Escape))).Append(" |\n");
        text.Append('|').Append(string.Concat(Header.Select(_ => "---|"))).Append('\n');
        foreach (var row in Rows) text.Append("| ").Append(string.Join(" | ", row.Select(Escape))).Append(" |\n");
        text.Append('\n').Append(Note).Append('\n');
        return text.ToString();
    }

    /// <summary>An HTML section with the table.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<section id=\"").Append(FileName).Append("\"><h2>").Append(WebUtility.HtmlEncode(Title)).Append("</h2>\n<table>\n<thead><tr>");
        foreach (var cell in Header) html.Append("<th>").Append(WebUtility.HtmlEncode(cell)).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in Rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append(cell == ReportFormat.NotRun ? "<td class=\"notrun\">" : "<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n<p class=\"note\">").Append(WebUtility.HtmlEncode(Note)).Append("</p></section>\n");
        return html.ToString();
    }

    static string Escape(string cell) => cell.Replace("|", "\\|");
}

/// <summary>How numbers appear in report cells.</summary>
internal static class ReportFormat
{
    /// <summary>The text of a cell whose run or row is missing.</summary>
    public const string NotRun = "not run";

    /// <summary>"0.857 [0.831, 0.880]" (3 decimals), "undefined" for a null value, "not run" for no estimate.</summary>
    public static string Cell(Estimate? estimate) => estimate is null ? NotRun : MetricsText.Format(estimate);

    /// <summary>A published number with 3 decimals; "not reported" where the paper has none (NaN).</summary>
    public static string Paper(double value) => double.IsNaN(value) ? "not reported" : MetricsText.Number(value);
}
