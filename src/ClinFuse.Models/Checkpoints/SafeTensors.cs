using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using static TorchSharp.torch;

namespace ClinFuse.Models.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// (name → dtype, shape, data offsets; optional <c>__metadata__</c> of string pairs) padded with
/// spaces to a multiple of 8, then the raw little-endian C-order data of every tensor.
/// </summary>
public static class SafeTensors
{
    const string MetadataKey = "__metadata__";
    const long MaxHeaderBytes = 100L << 20;

    static readonly (ScalarType Type, string Code, int Size)[] DTypes =
    [
        (ScalarType.Float32, "F32", 4), (ScalarType.Float64, "F64", 8), (ScalarType.Float16, "F16", 2), (ScalarType.BFloat16, "BF16", 2),
        (ScalarType.Int64, "I64", 8), (ScalarType.Int32, "I32", 4), (ScalarType.Int16, "I16", 2), (ScalarType.Int8, "I8", 1),
        (ScalarType.Byte, "U8", 1), (ScalarType.Bool, "BOOL", 1),
    ];

    /// <summary>
    /// Writes <paramref name="tensors"/> (in the given order) and <paramref name="metadata"/> to
    /// <paramref name="path"/> atomically (temporary file, then rename).
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header[MetadataKey] = meta;
        }
        var data = new List<Tensor>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey || header.ContainsKey(name))
                throw new ArgumentException($"Duplicate or reserved tensor name '{name}'.", nameof(tensors));
            var t = tensor.detach().cpu().contiguous();
            long bytes = t.numel() * Describe(t.dtype).Size;
            header[name] = new JsonObject
            {
                ["dtype"] = Describe(t.dtype).Code,
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
            data.Add(t);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;

        AtomicFile.Write(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var t in data) stream.Write(t.bytes);
        });
    }

    /// <summary>Reads every tensor (CPU, in file order) and the metadata of a safetensors file.</summary>
    /// <exception cref="ClinFuseException">The file is missing, truncated or not safetensors.</exception>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path))
            throw new ClinFuseException($"Weights file not found: {path}", "Check the path of the checkpoint.");
        byte[] file = File.ReadAllBytes(path);
        ClinFuseException Corrupt(string why) =>
            new($"{path} is not a valid safetensors file: {why}.", "Re-create the file (it may be truncated or of another format).");
        if (file.Length < 8) throw Corrupt("shorter than its 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)Math.Min(file.Length - 8, MaxHeaderBytes)) throw Corrupt($"header length {headerLength} exceeds the file");
        int dataStart = 8 + (int)headerLength;

        JsonObject header;
        try
        {
            header = JsonNode.Parse(file.AsSpan(8, (int)headerLength)) as JsonObject ?? throw Corrupt("the header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Corrupt($"the JSON header does not parse ({e.Message})");
        }

        var metadata = new Dictionary<string, string>();
        var entries = new List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)>();
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey)
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            try
            {
                var code = node!["dtype"]!.GetValue<string>();
                var dtype = DTypes.FirstOrDefault(d => d.Code == code);
                if (dtype.Code is null) throw Corrupt($"tensor '{name}' has unsupported dtype {code}");
                var shape = node["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray();
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                long expected = shape.Aggregate(1L, (a, s) => a * s) * dtype.Size;
                if (shape.Any(s => s < 0) || begin < 0 || end - begin != expected || dataStart + end > file.Length)
                    throw Corrupt($"tensor '{name}' has offsets [{begin}, {end}) that do not fit its shape or the file");
                entries.Add((name, dtype.Type, shape, begin, end));
            }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
            {
                throw Corrupt($"tensor '{name}' has a malformed header entry");
            }
        }

        var tensors = new List<KeyValuePair<string, Tensor>>(entries.Count);
        foreach (var (name, type, shape, begin, end) in entries.OrderBy(e => e.Begin))
        {
            var t = empty(shape, type);
            if (end > begin) t.bytes = file.AsSpan(dataStart + (int)begin, (int)(end - begin));
            tensors.Add(new(name, t));
        }
        return (tensors, metadata);
    }

    static (ScalarType Type, string Code, int Size) Describe(ScalarType type)
    {
        foreach (var d in DTypes)
            if (d.Type == type) return d;
        throw new ArgumentException($"safetensors has no code for dtype {type}.", nameof(type));
    }
}
