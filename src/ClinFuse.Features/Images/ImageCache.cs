using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using ClinFuse.Core;

namespace ClinFuse.Features.Images;

/// <summary>What a cache slot holds.</summary>
public enum ImageSlotStatus : byte
{
    /// <summary>The preprocessed image.</summary>
    Present = 1,
    /// <summary>The source file does not exist; the slot is zeros and the sample counts as having no image.</summary>
    Missing = 2,
    /// <summary>The source file could not be decoded; the slot is zeros and the sample counts as having no image.</summary>
    Corrupt = 3,
}

/// <summary>One image to cache: the sample id the training code asks for, and the file it comes from.</summary>
public sealed record ImageSource(string SampleId, string Path);

/// <summary>A sample whose image is missing or corrupt, with the reason.</summary>
public sealed record ImageCacheProblem(string SampleId, string Path, ImageSlotStatus Status, string Message);

/// <summary>Counts of a cache build; every source is in exactly one of Present, Missing, Corrupt.</summary>
public sealed record ImageCacheSummary(int Count, int Present, int Missing, int Corrupt, long FileBytes, IReadOnlyList<ImageCacheProblem> Problems);

/// <summary>
/// A read-only, memory-mapped file of N fixed-size 8-bit gray images plus an index from sample id
/// to slot and status. Layout (little-endian; docs/images.md): 64-byte header, image slots from
/// <c>dataOffset</c> (4096-aligned, <c>width·height</c> bytes each, zeros for missing/corrupt), then
/// the index (per slot: status byte, id, source path, message as length-prefixed UTF-8) and the
/// preprocessing settings as JSON. Files are written to a temporary name and renamed, so a reader
/// never sees a half-written cache.
/// </summary>
public sealed class ImageCache : IDisposable
{
    internal static ReadOnlySpan<byte> Magic => "CFIMGC01"u8;
    internal const int HeaderSize = 64;
    internal const int Version = 1;

    readonly MemoryMappedFile file;
    readonly MemoryMappedViewAccessor view;
    readonly long dataOffset;
    readonly ImageSlotStatus[] statuses;
    readonly string[] sampleIds;
    readonly Dictionary<string, int> slotOf;

    ImageCache(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, int width, int height, long dataOffset,
        ImageSlotStatus[] statuses, string[] sampleIds, string[] sources, string[] messages, string settingsJson)
    {
        Path = path;
        this.file = file;
        this.view = view;
        Width = width;
        Height = height;
        this.dataOffset = dataOffset;
        this.statuses = statuses;
        this.sampleIds = sampleIds;
        Sources = sources;
        Messages = messages;
        SettingsJson = settingsJson;
        slotOf = new Dictionary<string, int>(sampleIds.Length, StringComparer.Ordinal);
        for (int i = 0; i < sampleIds.Length; i++) slotOf[sampleIds[i]] = i;
    }

    public string Path { get; }
    public int Width { get; }
    public int Height { get; }
    public int Count => sampleIds.Length;
    public int SlotBytes => Width * Height;

    /// <summary>The source file of each slot, as given when the cache was built.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>Why a slot is missing or corrupt (empty for present slots).</summary>
    public IReadOnlyList<string> Messages { get; }

    /// <summary>The <see cref="ImagePreprocessing"/> the cache was built with, as JSON.</summary>
    public string SettingsJson { get; }

    public IReadOnlyList<string> SampleIds => sampleIds;

    public ImageSlotStatus Status(int slot) => statuses[slot];

    /// <summary>The slot of a sample id, or false when the cache does not list it.</summary>
    public bool TryGetSlot(string sampleId, out int slot) => slotOf.TryGetValue(sampleId, out slot);

    /// <summary>True when the sample has a usable image (listed and present).</summary>
    public bool HasImage(string sampleId) => TryGetSlot(sampleId, out int slot) && statuses[slot] == ImageSlotStatus.Present;

    /// <summary>Copies slot <paramref name="slot"/>'s pixels into <paramref name="destination"/> (<see cref="SlotBytes"/> long). Thread-safe.</summary>
    public void Read(int slot, Span<byte> destination)
    {
        if ((uint)slot >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(slot), $"Slot {slot} is outside 0..{Count - 1}.");
        if (destination.Length != SlotBytes) throw new ArgumentException($"Destination must be {SlotBytes} bytes.", nameof(destination));
        view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(dataOffset + (long)slot * SlotBytes), destination);
    }

    /// <summary>Slot <paramref name="slot"/> as a new image.</summary>
    public GrayImage Get(int slot)
    {
        var image = new GrayImage(Width, Height);
        Read(slot, image.Pixels);
        return image;
    }

    /// <summary>Opens a cache; throws <see cref="ClinFuseException"/> naming the file when it is not a valid cache.</summary>
    public static ImageCache Open(string path)
    {
        if (!File.Exists(path)) throw new ClinFuseException($"Image cache {path} does not exist.", "Build it first (clinfuse prepare).");
        long length = new FileInfo(path).Length;
        if (length < HeaderSize) throw Invalid(path, "the file is shorter than the header");
        var mapped = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = mapped.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        try
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            view.SafeMemoryMappedViewHandle.ReadSpan(0, header);
            if (!header[..8].SequenceEqual(Magic)) throw Invalid(path, "it does not start with the image-cache signature");
            int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (version != Version) throw Invalid(path, $"format version {version} is not supported (expected {Version})");
            int width = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
            int height = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
            int count = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
            long dataOffset = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
            long indexOffset = BinaryPrimitives.ReadInt64LittleEndian(header[32..]);
            long indexLength = BinaryPrimitives.ReadInt64LittleEndian(header[40..]);
            if (width <= 0 || height <= 0 || count < 0 || dataOffset < HeaderSize || indexOffset != dataOffset + (long)count * width * height
                || indexLength < 0 || indexOffset + indexLength != length || indexLength > int.MaxValue)
                throw Invalid(path, "its header does not match the file size (truncated or damaged)");

            var index = new byte[indexLength];
            view.SafeMemoryMappedViewHandle.ReadSpan((ulong)indexOffset, index.AsSpan());
            var reader = new IndexReader(index, path);
            var statuses = new ImageSlotStatus[count];
            var ids = new string[count];
            var sources = new string[count];
            var messages = new string[count];
            for (int i = 0; i < count; i++)
            {
                statuses[i] = (ImageSlotStatus)reader.Byte();
                if (!Enum.IsDefined(statuses[i])) throw Invalid(path, $"slot {i} has an unknown status {(byte)statuses[i]}");
                ids[i] = reader.String();
                sources[i] = reader.String();
                messages[i] = reader.String();
            }
            string settings = reader.String();
            var cache = new ImageCache(path, mapped, view, width, height, dataOffset, statuses, ids, sources, messages, settings);
            if (cache.slotOf.Count != count) throw Invalid(path, "its index lists a sample id twice");
            return cache;
        }
        catch
        {
            view.Dispose();
            mapped.Dispose();
            throw;
        }
    }

    internal static ClinFuseException Invalid(string path, string why) =>
        new($"{path} is not a valid ClinFuse image cache: {why}.", "Delete it and build the cache again.");

    public void Dispose()
    {
        view.Dispose();
        file.Dispose();
    }

    ref struct IndexReader(ReadOnlySpan<byte> data, string path)
    {
        readonly ReadOnlySpan<byte> data = data;
        int position;

        public byte Byte()
        {
            if (position >= data.Length) throw Invalid(path, "its index is truncated");
            return data[position++];
        }

        public string String()
        {
            if (position + 4 > data.Length) throw Invalid(path, "its index is truncated");
            int length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
            position += 4;
            if (length < 0 || position + length > data.Length) throw Invalid(path, "its index is truncated");
            var text = Encoding.UTF8.GetString(data.Slice(position, length));
            position += length;
            return text;
        }
    }
}
