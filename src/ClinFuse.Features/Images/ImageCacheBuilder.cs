using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ClinFuse.Core;

namespace ClinFuse.Features.Images;

/// <summary>Builds an <see cref="ImageCache"/> file from image files, in parallel, atomically.</summary>
public static class ImageCacheBuilder
{
    const int DataAlignment = 4096;

    /// <summary>
    /// Preprocesses every source into its slot (in the given order) and writes the cache to
    /// <paramref name="cachePath"/> through <see cref="AtomicFile"/> (a temporary file, then a rename). Missing and undecodable files
    /// become zero slots flagged <see cref="ImageSlotStatus.Missing"/>/<see cref="ImageSlotStatus.Corrupt"/>
    /// and are listed in the summary; they never stop the build. <paramref name="progress"/> receives
    /// the number of sources done so far.
    /// </summary>
    public static ImageCacheSummary Build(string cachePath, IReadOnlyList<ImageSource> sources, ImagePreprocessing preprocessing,
        ComputeSettings compute, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        preprocessing.Validate();
        CheckUniqueIds(sources);
        int side = preprocessing.SlotSize;
        long slotBytes = (long)side * side;
        long dataOffset = DataAlignment;
        long indexOffset = dataOffset + slotBytes * sources.Count;

        var statuses = new ImageSlotStatus[sources.Count];
        var messages = new string[sources.Count];
        long fileBytes = 0;
        AtomicFile.Write(cachePath, temporary =>
        {
            using var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, indexOffset);
            long done = 0;
            Parallel.For(0, sources.Count, compute.ParallelOptions(cancellationToken), i =>
            {
                var (status, message, pixels) = Preprocess(sources[i], preprocessing);
                statuses[i] = status;
                messages[i] = message;
                if (pixels is not null) RandomAccess.Write(handle, pixels, dataOffset + i * slotBytes);
                progress?.Report(Interlocked.Increment(ref done));
            });

            var index = EncodeIndex(sources, statuses, messages, JsonSerializer.Serialize(preprocessing));
            RandomAccess.Write(handle, index, indexOffset);
            RandomAccess.Write(handle, EncodeHeader(side, sources.Count, dataOffset, indexOffset, index.Length), 0);
            RandomAccess.FlushToDisk(handle);
            fileBytes = indexOffset + index.Length;
        });
        return Summarise(sources, statuses, messages, fileBytes);
    }

    static (ImageSlotStatus Status, string Message, byte[]? Pixels) Preprocess(ImageSource source, ImagePreprocessing preprocessing)
    {
        if (!File.Exists(source.Path)) return (ImageSlotStatus.Missing, $"file not found: {source.Path}", null);
        try
        {
            return (ImageSlotStatus.Present, "", preprocessing.LoadSlot(source.Path).Pixels);
        }
        catch (ClinFuseException e)
        {
            return (ImageSlotStatus.Corrupt, e.Message, null);
        }
    }

    static void CheckUniqueIds(IReadOnlyList<ImageSource> sources)
    {
        var seen = new HashSet<string>(sources.Count, StringComparer.Ordinal);
        foreach (var source in sources)
            if (!seen.Add(source.SampleId))
                throw new ClinFuseException($"Sample id '{source.SampleId}' is listed twice for the image cache (second time: {source.Path}).", "Each sample must have one image; de-duplicate the list.");
    }

    static byte[] EncodeHeader(int side, int count, long dataOffset, long indexOffset, long indexLength)
    {
        var header = new byte[ImageCache.HeaderSize];
        ImageCache.Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), ImageCache.Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), side);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), side);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), dataOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), indexOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), indexLength);
        return header;
    }

    static byte[] EncodeIndex(IReadOnlyList<ImageSource> sources, ImageSlotStatus[] statuses, string[] messages, string settingsJson)
    {
        using var stream = new MemoryStream();
        var length = new byte[4];
        void WriteString(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            stream.Write(length);
            stream.Write(bytes);
        }
        for (int i = 0; i < sources.Count; i++)
        {
            stream.WriteByte((byte)statuses[i]);
            WriteString(sources[i].SampleId);
            WriteString(sources[i].Path);
            WriteString(messages[i]);
        }
        WriteString(settingsJson);
        return stream.ToArray();
    }

    static ImageCacheSummary Summarise(IReadOnlyList<ImageSource> sources, ImageSlotStatus[] statuses, string[] messages, long fileBytes)
    {
        int present = 0, missing = 0, corrupt = 0;
        var problems = new List<ImageCacheProblem>();
        for (int i = 0; i < statuses.Length; i++)
        {
            switch (statuses[i])
            {
                case ImageSlotStatus.Present: present++; continue;
                case ImageSlotStatus.Missing: missing++; break;
                default: corrupt++; break;
            }
            problems.Add(new ImageCacheProblem(sources[i].SampleId, sources[i].Path, statuses[i], messages[i]));
        }
        return new ImageCacheSummary(statuses.Length, present, missing, corrupt, fileBytes, problems);
    }
}
