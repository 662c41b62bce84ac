using ScottPlot;
using ClinFuse.Evaluation.Metrics;
using SkiaSharp;

namespace ClinFuse.Evaluation.Report;

/// <summary>One curve of a noise figure: values per noise level with an optional interval.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Levels">Noise levels in percent (x).</param>
/// <param name="Values">Metric values (y).</param>
/// <param name="Lower">Lower interval bounds, or null.</param>
/// <param name="Upper">Upper interval bounds, or null.</param>
/// <param name="Published">True for the paper's numbers (dashed, no interval).</param>
/// <param name="Color">Hex colour, e.g. "#1f77b4".</param>
public sealed record NoiseCurve(string Name, double[] Levels, double[] Values, double[]? Lower, double[]? Upper, bool Published, string Color);

/// <summary>The report's PNG figures, drawn headless with ScottPlot 5.</summary>
public static class Figures
{
    const int PanelWidth = 560, PanelHeight = 420;

    /// <summary>
    /// Fig. 4 of the paper for one protocol: a 2×2 grid of panels (one per metric) of metric vs
    /// noise level, measured curves with their 95 % CI band, published curves dashed.
    /// </summary>
    public static byte[] NoisePanels(string title, IReadOnlyList<(string Metric, IReadOnlyList<NoiseCurve> Curves)> panels) =>
        Grid(title, panels.Select(p => Panel(p.Metric, p.Curves)).ToList());

    /// <summary>
    /// Reliability diagrams, one panel per run: observed fraction of positives vs mean predicted
    /// probability per bin (bins pooled over labels), with the diagonal of perfect calibration.
    /// </summary>
    public static byte[] ReliabilityPanels(string title, IReadOnlyList<(string Name, IReadOnlyList<CalibrationBin> Bins)> runs) =>
        Grid(title, runs.Select(r => ReliabilityPanel(r.Name, r.Bins)).ToList());

    static byte[] ReliabilityPanel(string name, IReadOnlyList<CalibrationBin> bins)
    {
        var plot = new Plot();
        plot.Title(name);
        plot.XLabel("Mean predicted probability");
        plot.YLabel("Observed fraction positive");
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.Color = Colors.Gray;
        var filled = bins.Where(b => b.Count > 0).ToList();
        var curve = plot.Add.Scatter(filled.Select(b => b.MeanScore!.Value).ToArray(), filled.Select(b => b.ObservedFraction!.Value).ToArray());
        curve.Color = Color.FromHex("#1f77b4");
        curve.LineWidth = 2;
        curve.MarkerSize = 7;
        plot.Axes.SetLimits(0, 1, 0, 1);
        return plot.GetImageBytes(PanelWidth, PanelHeight, ImageFormat.Png);
    }

    /// <summary>Panels side by side, two per row, under a title.</summary>
    static byte[] Grid(string title, IReadOnlyList<byte[]> images)
    {
        const int titleHeight = 40, columns = 2;
        int rows = (images.Count + columns - 1) / columns;
        var info = new SKImageInfo(columns * PanelWidth, titleHeight + rows * PanelHeight);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(SKTypeface.Default, 20))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            canvas.DrawText(title, info.Width / 2f, 28, SKTextAlign.Center, font, paint);
        for (int i = 0; i < images.Count; i++)
        {
            using var bitmap = SKBitmap.Decode(images[i]);
            canvas.DrawBitmap(bitmap, i % columns * PanelWidth, titleHeight + i / columns * PanelHeight);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static byte[] Panel(string metric, IReadOnlyList<NoiseCurve> curves)
    {
        var plot = new Plot();
        plot.Title(metric);
        plot.XLabel("Noise level (%)");
        plot.YLabel(metric);
        foreach (var curve in curves)
        {
            if (curve.Values.Length == 0) continue;
            var color = Color.FromHex(curve.Color);
            if (curve.Lower is not null && curve.Upper is not null)
            {
                var band = plot.Add.FillY(curve.Levels, curve.Lower, curve.Upper);
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = plot.Add.Scatter(curve.Levels, curve.Values);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = curve.Published ? 5 : 7;
            line.LinePattern = curve.Published ? LinePattern.Dashed : LinePattern.Solid;
            line.LegendText = curve.Name;
        }
        plot.ShowLegend(Alignment.LowerLeft);
        return plot.GetImageBytes(PanelWidth, PanelHeight, ImageFormat.Png);
    }
}
