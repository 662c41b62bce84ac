using System.Buffers.Binary;
using System.IO.Compression;
using ClinFuse.Core;

namespace ClinFuse.Data.Mimic;

/// <summary>
/// Decompresses a <c>.gz</c> file and, at its end, checks the data against the gzip trailer (CRC-32
/// and length of the uncompressed data, RFC 1952). .NET's <see cref="GZipStream"/> ends silently when
/// the file is cut (a download stopped early, even at a flush point where the rows are whole): this
/// stream instead throws a <see cref="ClinFuseException"/> naming the file. A file of several
/// concatenated gzip members (bgzip, or the synthetic cohort's parallel blocks) ends with its last
/// member's trailer: when the whole data does not match it, the last <c>length</c> bytes of the data
/// (kept in a ring buffer when the last member holds at most 64 MiB) must. A file cut exactly
/// between two members cannot be told from a complete one.
/// </summary>
internal sealed class GzipEndCheck : Stream
{
    readonly string path;
    readonly GZipStream inner;
    readonly uint expectedCrc, expectedLength;
    const uint MaxLastMember = 64u << 20;
    readonly byte[]? lastMember;
    uint crc = 0xFFFFFFFF;
    long length;
    bool checkedEnd;

    /// <summary>Opens <paramref name="file"/> (positioned at its start) for checked decompression.</summary>
    public GzipEndCheck(FileStream file, string path)
    {
        this.path = path;
        Span<byte> trailer = stackalloc byte[8];
        if (file.Length < 18)
            throw new ClinFuseException($"{path} is not a complete gzip file ({file.Length} bytes).", "Download the file again (check it against PhysioNet's SHA256SUMS.txt).");
        file.Seek(-8, SeekOrigin.End);
        file.ReadExactly(trailer);
        file.Seek(0, SeekOrigin.Begin);
        expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        inner = new GZipStream(file, CompressionMode.Decompress);
        if (expectedLength is > 0 and <= MaxLastMember && expectedLength < file.Length * 1100L) lastMember = new byte[expectedLength];
    }

    /// <summary>Keeps the last <see cref="lastMember"/>.Length bytes of the data, as a ring.</summary>
    void Remember(ReadOnlySpan<byte> data)
    {
        if (lastMember is null) return;
        int size = lastMember.Length;
        if (data.Length > size) data = data[^size..];
        int at = (int)((length - data.Length) % size);
        int first = Math.Min(data.Length, size - at);
        data[..first].CopyTo(lastMember.AsSpan(at));
        data[first..].CopyTo(lastMember);
    }

    bool LastMemberMatches()
    {
        if (expectedLength == 0) return expectedCrc == 0;
        if (lastMember is null || length < lastMember.Length) return false;
        int start = (int)(length % lastMember.Length);
        uint c = Crc32.Update(0xFFFFFFFF, lastMember.AsSpan(start));
        c = Crc32.Update(c, lastMember.AsSpan(0, start));
        return (c ^ 0xFFFFFFFF) == expectedCrc;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        if (read > 0)
        {
            crc = Crc32.Update(crc, buffer[..read]);
            length += read;
            Remember(buffer[..read]);
        }
        else if (buffer.Length > 0 && !checkedEnd)
        {
            checkedEnd = true;
            bool whole = (crc ^ 0xFFFFFFFF) == expectedCrc && (uint)length == expectedLength;
            if (!whole && !LastMemberMatches())
                throw new ClinFuseException(
                    $"{path} is truncated or damaged: its data ({length:N0} bytes) does not match the gzip trailer (CRC-32 and length); the rows read so far are not the whole table.",
                    "Download the file again (check it against PhysioNet's SHA256SUMS.txt).");
        }
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, as gzip uses), slicing by 8 bytes.</summary>
    static class Crc32
    {
        static readonly uint[] Table = Build();

        static uint[] Build()
        {
            var table = new uint[8 * 256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                table[i] = c;
            }
            for (int t = 1; t < 8; t++)
                for (int i = 0; i < 256; i++)
                    table[t * 256 + i] = (table[(t - 1) * 256 + i] >> 8) ^ table[table[(t - 1) * 256 + i] & 0xFF];
            return table;
        }

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            var t = Table;
            while (data.Length >= 8)
            {
                uint lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc, hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
                crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                    ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
                data = data[8..];
            }
            foreach (var b in data) crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
