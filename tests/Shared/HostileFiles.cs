using System.Buffers.Binary;

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
}
