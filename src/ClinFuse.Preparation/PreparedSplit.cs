using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using ClinFuse.Core;

namespace ClinFuse.Preparation;

/// <summary>One model-ready sample as <c>prepare</c> writes it.</summary>
/// <param name="StayId">The ICU stay the sample comes from.</param>
/// <param name="Series">Normalised hourly features, row-major [timesteps × features].</param>
/// <param name="Labels">Task labels (1 for mortality, 25 for phenotyping), 0 or 1.</param>
/// <param name="ImageSlot">Slot of the sample's chest X-ray in the split's image cache, or -1 when it has none.</param>
public sealed record PreparedSample(long StayId, float[] Series, float[] Labels, int ImageSlot);

/// <summary>
/// A split of the prepared store in one file, read through a memory map so that any number of
/// samples can be served to the batcher without loading the split into the heap.
/// Layout (little-endian): magic "CFSPLIT1", int32 sample count, int32 features, int32 labels,
/// int32 reserved, then per sample a 32-byte record (int64 stay id, int64 first row, int32
/// timesteps, int32 image slot, int64 label offset in floats), then the labels as float32, then all
/// series rows as float32.
/// </summary>
public sealed class PreparedSplit : IDisposable
{
    const string Magic = "CFSPLIT1";
    const int HeaderBytes = 24;
    const int RecordBytes = 32;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    readonly record struct Record(long StayId, long FirstRow, int Timesteps, int ImageSlot, long LabelOffset);

    readonly MemoryMappedFile file;
    readonly MemoryMappedViewAccessor view;
    readonly Record[] records;
    readonly long labelsStart;
    readonly long seriesStart;
    readonly string path;

    PreparedSplit(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, Record[] records, int features, int labels)
    {
        this.path = path;
        this.file = file;
        this.view = view;
        this.records = records;
        Features = features;
        LabelCount = labels;
        labelsStart = HeaderBytes + (long)records.Length * RecordBytes;
        seriesStart = labelsStart + (long)records.Length * labels * sizeof(float);
    }

    /// <summary>Number of samples.</summary>
    public int Count => records.Length;

    /// <summary>Features per timestep (76 for the reference discretizer).</summary>
    public int Features { get; }

    /// <summary>Labels per sample.</summary>
    public int LabelCount { get; }

    /// <summary>Stay id of sample <paramref name="index"/>.</summary>
    public long StayId(int index) => records[index].StayId;

    /// <summary>Number of hourly steps of sample <paramref name="index"/>.</summary>
    public int Timesteps(int index) => records[index].Timesteps;

    /// <summary>Image-cache slot of sample <paramref name="index"/>, or -1.</summary>
    public int ImageSlot(int index) => records[index].ImageSlot;

    /// <summary>Copies the labels of sample <paramref name="index"/> into <paramref name="destination"/>.</summary>
    public void CopyLabels(int index, Span<float> destination)
    {
        var r = records[index];
        ReadFloats(labelsStart + r.LabelOffset * sizeof(float), destination[..LabelCount]);
    }

    /// <summary>Copies the first <paramref name="destination"/>.Length / Features rows of the series of sample <paramref name="index"/>.</summary>
    public void CopySeries(int index, Span<float> destination)
    {
        var r = records[index];
        int values = checked(r.Timesteps * Features);
        ReadFloats(seriesStart + r.FirstRow * Features * sizeof(float), destination[..Math.Min(values, destination.Length)]);
    }

    /// <summary>The whole sample as managed arrays (for tests and tools; the batcher copies spans).</summary>
    public PreparedSample Get(int index)
    {
        var series = new float[Timesteps(index) * Features];
        var labels = new float[LabelCount];
        CopySeries(index, series);
        CopyLabels(index, labels);
        return new PreparedSample(StayId(index), series, labels, ImageSlot(index));
    }

    unsafe void ReadFloats(long offset, Span<float> destination)
    {
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            new ReadOnlySpan<float>(start + view.PointerOffset + offset, destination.Length).CopyTo(destination);
        }
        finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
    }

    /// <summary>Writes a split file atomically (temporary name, then rename).</summary>
    public static void Write(string path, int features, int labels, IEnumerable<PreparedSample> samples)
    {
        var list = samples as IReadOnlyList<PreparedSample> ?? samples.ToList();
        AtomicFile.Write(path, tmp =>
        {
            using var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: false);
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(list.Count);
            w.Write(features);
            w.Write(labels);
            w.Write(0);
            long row = 0;
            for (int i = 0; i < list.Count; i++)
            {
                var s = list[i];
                if (s.Series.Length % features != 0)
                    throw new ArgumentException($"Sample {i} (stay {s.StayId}) has {s.Series.Length} values, not a multiple of {features} features.");
                if (s.Labels.Length != labels)
                    throw new ArgumentException($"Sample {i} (stay {s.StayId}) has {s.Labels.Length} labels, expected {labels}.");
                int steps = s.Series.Length / features;
                w.Write(s.StayId);
                w.Write(row);
                w.Write(steps);
                w.Write(s.ImageSlot);
                w.Write((long)i * labels);
                row += steps;
            }
            foreach (var s in list) w.Write(MemoryMarshal.AsBytes(s.Labels.AsSpan()));
            foreach (var s in list) w.Write(MemoryMarshal.AsBytes(s.Series.AsSpan()));
        });
    }

    /// <summary>Opens a split file; a wrong or truncated file gets a clear error.</summary>
    public static PreparedSplit Open(string path)
    {
        if (!File.Exists(path))
            throw new ClinFuseException($"Prepared split not found: {path}", "Run `clinfuse prepare` first, or point --data at its output folder.");
        long length = new FileInfo(path).Length;
        using (var probe = File.OpenRead(path))
        {
            var header = new byte[HeaderBytes];
            if (probe.Read(header, 0, HeaderBytes) < HeaderBytes || Encoding.ASCII.GetString(header, 0, 8) != Magic)
                throw new ClinFuseException($"{path} is not a ClinFuse prepared split (bad header).", "Rerun `clinfuse prepare` with --force.");
            int count = BitConverter.ToInt32(header, 8), features = BitConverter.ToInt32(header, 12), labels = BitConverter.ToInt32(header, 16);
            if (count < 0 || features <= 0 || labels <= 0 || HeaderBytes + (long)count * RecordBytes > length)
                throw new ClinFuseException($"{path} is corrupt: its header claims {count} samples of {features} features and {labels} labels in {length} bytes.", "Rerun `clinfuse prepare` with --force.");
            var records = new Record[count];
            var recordBytes = MemoryMarshal.AsBytes(records.AsSpan());
            if (probe.Read(recordBytes) < recordBytes.Length)
                throw new ClinFuseException($"{path} is truncated (sample index incomplete).", "Rerun `clinfuse prepare` with --force.");
            CheckRecords(path, records, labels);
            long rows = count == 0 ? 0 : records[^1].FirstRow + records[^1].Timesteps;
            long expected = HeaderBytes + (long)count * RecordBytes + ((long)count * labels + rows * features) * sizeof(float);
            if (length != expected)
                throw new ClinFuseException($"{path} has {length} bytes, expected {expected}: the file is truncated or corrupt.", "Rerun `clinfuse prepare` with --force.");
            var mapped = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = mapped.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new PreparedSplit(path, mapped, view, records, features, labels);
        }
    }

    /// <summary>Each record must continue where the previous one ended: garbage in the index is caught before any row is read.</summary>
    static void CheckRecords(string path, Record[] records, int labels)
    {
        long row = 0;
        for (int i = 0; i < records.Length; i++)
        {
            var r = records[i];
            if (r.FirstRow != row || r.Timesteps < 0 || r.ImageSlot < -1 || r.LabelOffset != (long)i * labels)
                throw new ClinFuseException($"{path} is corrupt: the index entry of sample {i} (stay {r.StayId}) does not fit the file layout.", "Rerun `clinfuse prepare` with --force.");
            row += r.Timesteps;
        }
    }

    public override string ToString() => $"{path} ({Count} samples)";

    public void Dispose()
    {
        view.Dispose();
        file.Dispose();
    }
}
