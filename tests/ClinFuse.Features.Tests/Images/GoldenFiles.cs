using System.Buffers.Binary;
using System.Text;
using ClinFuse.Features.Images;

namespace ClinFuse.Features.Tests.Images;

/// <summary>Readers for the golden fixtures (manifest CSV, PNGs, .npy tensors) and image comparison.</summary>
static class GoldenFiles
{
    public static GrayImage Png(params string[] parts) => ImageDecoder.DecodeFile(Fixtures.Path(parts));

    /// <summary>Rows of a simple CSV whose only quoted fields are at the end of the line (the golden manifests).</summary>
    public static IReadOnlyList<Dictionary<string, string>> Csv(params string[] parts)
    {
        var lines = File.ReadAllLines(Fixtures.Path(parts));
        var header = lines[0].Split(',');
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var fields = SplitCsvLine(line);
            rows.Add(header.Select((h, i) => (h, v: i < fields.Count ? fields[i] : "")).ToDictionary(p => p.h, p => p.v));
        }
        return rows;
    }

    static List<string> SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }

    /// <summary>A little-endian float32 C-order .npy file: shape and values.</summary>
    public static (int[] Shape, float[] Values) NpyFloat32(params string[] parts)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path(parts));
        Assert.Equal("\u0093NUMPY", Encoding.Latin1.GetString(bytes, 0, 6));
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        shapeText = shapeText[..shapeText.IndexOf(')')];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        Buffer.BlockCopy(bytes, 10 + headerLength, values, 0, values.Length * 4);
        return (shape, values);
    }

    /// <summary>Number of differing pixels and the largest absolute difference; sizes must match.</summary>
    public static (int Differing, int MaxAbs) Compare(GrayImage expected, GrayImage actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int differing = 0, maxAbs = 0;
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            int d = Math.Abs(expected.Pixels[i] - actual.Pixels[i]);
            if (d == 0) continue;
            differing++;
            maxAbs = Math.Max(maxAbs, d);
        }
        return (differing, maxAbs);
    }

    public static void AssertIdentical(GrayImage expected, GrayImage actual, string what)
    {
        var (differing, maxAbs) = Compare(expected, actual);
        Assert.True(differing == 0, $"{what}: {differing} pixels differ (max abs {maxAbs}).");
    }
}
