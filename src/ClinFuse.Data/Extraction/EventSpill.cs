using System.Buffers.Binary;

namespace ClinFuse.Data.Extraction;

/// <summary>
/// Cleaned events parked on disk by subject partition, so that extraction memory does not grow
/// with the number of mapped events: each table's reader appends to its own partition files, then
/// <see cref="Read"/> brings back one partition at a time. Partitions are contiguous ranges of
/// subject ordinals, so building episodes partition by partition visits the subjects in the same
/// order as building them all at once. The files live in a folder of the stage's working output
/// and are deleted as they are read, and with the folder on <see cref="Dispose"/>.
/// </summary>
internal sealed class EventSpill : IDisposable
{
    /// <summary>Partitions used when the caller does not choose: a partition then holds about 1/64 of the events.</summary>
    public const int DefaultPartitions = 64;

    // stay index (4) + time (8) + variable, high bit set for text (1) + number (8) or text id (4).
    const int NumberRecord = 21, TextRecord = 17;
    const byte TextFlag = 0x80;

    readonly string folder;
    readonly int[] partitionOfStay;
    readonly TableWriter[] tables;

    /// <param name="folder">An empty or missing folder for the partition files; it is deleted on dispose.</param>
    /// <param name="partitionOfStay">Partition of each stay index.</param>
    /// <param name="partitions">Number of partitions.</param>
    /// <param name="tableCount">Number of tables written concurrently (one writer each).</param>
    public EventSpill(string folder, int[] partitionOfStay, int partitions, int tableCount)
    {
        this.folder = folder;
        this.partitionOfStay = partitionOfStay;
        Partitions = partitions;
        Directory.CreateDirectory(folder);
        tables = new TableWriter[tableCount];
        for (int t = 0; t < tableCount; t++) tables[t] = new TableWriter(this, t);
    }

    /// <summary>Number of partitions.</summary>
    public int Partitions { get; }

    /// <summary>The writer of table <paramref name="table"/>; one thread at a time may use it.</summary>
    public TableWriter Table(int table) => tables[table];

    /// <summary>
    /// The events of partition <paramref name="partition"/>: every table's events in table order, each
    /// table's in the order they were added. The partition's files are deleted.
    /// </summary>
    public List<CleanEvent> Read(int partition)
    {
        var events = new List<CleanEvent>();
        foreach (var table in tables)
        {
            table.Dispose(); // writing is over once reading starts
            var path = table.PathOf(partition);
            var bytes = File.ReadAllBytes(path);
            File.Delete(path);
            for (int at = 0; at < bytes.Length;)
            {
                var span = bytes.AsSpan(at);
                var stay = BinaryPrimitives.ReadInt32LittleEndian(span);
                var time = BinaryPrimitives.ReadInt64LittleEndian(span[4..]);
                var tag = span[12];
                CleanValue value;
                if ((tag & TextFlag) != 0)
                {
                    value = new CleanValue(0, table.Text(BinaryPrimitives.ReadInt32LittleEndian(span[13..])));
                    at += TextRecord;
                }
                else
                {
                    value = new CleanValue(BinaryPrimitives.ReadDoubleLittleEndian(span[13..]), null);
                    at += NumberRecord;
                }
                events.Add(new CleanEvent(stay, time, tag & ~TextFlag, value));
            }
        }
        return events;
    }

    /// <summary>Closes the files and deletes the folder (what is left of it).</summary>
    public void Dispose()
    {
        foreach (var table in tables) table.Dispose();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>Appends one table's cleaned events to its partition files.</summary>
    internal sealed class TableWriter : IDisposable
    {
        readonly EventSpill owner;
        readonly int table;
        readonly Stream[] files;
        readonly byte[] record = new byte[NumberRecord];
        // Text values (GCS, and some in compat) repeat heavily: each is written once here and by id in the files.
        readonly Dictionary<string, int> textIds = new(StringComparer.Ordinal);
        readonly List<string> texts = [];

        public TableWriter(EventSpill owner, int table)
        {
            this.owner = owner;
            this.table = table;
            files = new Stream[owner.Partitions];
            for (int p = 0; p < files.Length; p++)
                files[p] = new BufferedStream(new FileStream(PathOf(p), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1), 1 << 15);
        }

        public string PathOf(int partition) => Path.Combine(owner.folder, $"t{table}-p{partition}.bin");

        public string Text(int id) => texts[id];

        /// <summary>Appends <paramref name="e"/> to its stay's partition.</summary>
        public void Add(in CleanEvent e)
        {
            var span = record.AsSpan();
            BinaryPrimitives.WriteInt32LittleEndian(span, e.StayIndex);
            BinaryPrimitives.WriteInt64LittleEndian(span[4..], e.Time);
            int length;
            if (e.Value.Text is { } text)
            {
                if (!textIds.TryGetValue(text, out var id))
                {
                    id = texts.Count;
                    texts.Add(text);
                    textIds[text] = id;
                }
                span[12] = (byte)(e.Variable | TextFlag);
                BinaryPrimitives.WriteInt32LittleEndian(span[13..], id);
                length = TextRecord;
            }
            else
            {
                span[12] = (byte)e.Variable;
                BinaryPrimitives.WriteDoubleLittleEndian(span[13..], e.Value.Number);
                length = NumberRecord;
            }
            files[owner.partitionOfStay[e.StayIndex]].Write(record, 0, length);
        }

        public void Dispose()
        {
            foreach (var f in files) f.Dispose();
        }
    }
}
