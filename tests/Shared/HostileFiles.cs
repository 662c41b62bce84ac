using System.Buffers.Binary;
using System.IO.Compression;

namespace ClinFuse.Tests.Shared;

/// <summary>Generators of hostile input files for the reliability tests (docs/reliability.md): made by code, never committed.</summary>
public static class HostileFiles
{
    /// <summary>
    /// <paramref name="jpeg"/> (a valid JPEG) with its frame header (SOF0/1/2) rewritten to claim
    /// <paramref name="width"/>×<paramref name="height"/> pixels: a decompression bomb of a few hundred bytes.
    /// </summary>
    public static byte[] JpegClaiming(byte[] jpeg, int width, int height)
    {
        var bomb = (byte[])jpeg.Clone();
        for (int i = 2; i < bomb.Length - 9; i++)
        {
            if (bomb[i] != 0xFF || bomb[i + 1] is not (0xC0 or 0xC1 or 0xC2)) continue;
            BinaryPrimitives.WriteUInt16BigEndian(bomb.AsSpan(i + 5), (ushort)height);
            BinaryPrimitives.WriteUInt16BigEndian(bomb.AsSpan(i + 7), (ushort)width);
            return bomb;
        }
        throw new ArgumentException("The JPEG has no SOF marker.", nameof(jpeg));
    }

    /// <summary>
    /// A copy of the MIMIC-IV demo fixture in <paramref name="folder"/> whose chartevents rows of
    /// <paramref name="itemId"/> all hold <paramref name="value"/> (value and valuenum); returns the copy's folder.
    /// </summary>
    public static string MimicDemoWithChartValue(string folder, int itemId, string value)
    {
        string source = Fixtures.Path("mimic-iv-demo");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(folder, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string chart = Path.Combine(folder, "icu", "chartevents.csv.gz");
        string[] lines;
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(chart), CompressionMode.Decompress)))
            lines = reader.ReadToEnd().Split('\n');
        string item = itemId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 1; i < lines.Length; i++)
        {
            // subject_id,hadm_id,stay_id,caregiver_id,charttime,storetime,itemid,value,valuenum,...: no quotes before value.
            var cells = lines[i].Split(',');
            if (cells.Length < 9 || cells[6] != item) continue;
            cells[7] = cells[8] = value;
            lines[i] = string.Join(',', cells);
        }
        using (var writer = new StreamWriter(new GZipStream(File.Create(chart), CompressionLevel.Fastest)))
            writer.Write(string.Join('\n', lines));
        return folder;
    }
}
