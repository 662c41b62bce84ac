using System.Globalization;
using System.Reflection;
using System.Text.Json;
using ClinFuse.Core;

namespace ClinFuse.Features.TimeSeries;

/// <summary>
/// The channel definition the discretizer works from: channel names in column order, which channels
/// are categorical, their category strings (in the exact list order of the reference, duplicates of
/// meaning included) and the "normal" value imputed before a channel's first observation.
/// <see cref="Reference"/> is the mimic3-benchmarks / MedFuse <c>discretizer_config.json</c>.
/// </summary>
public sealed class DiscretizerConfig
{
    const string ReferenceResource = "ClinFuse.Features.Resources.discretizer_config.json";

    readonly bool[] isCategorical;
    readonly string[][] categories;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>[] categoryLookup;
    readonly int[] beginColumn;
    readonly double[] normalCodes;

    DiscretizerConfig(string[] channels, bool[] isCategorical, string[][] categories, string[] normalValues, string source)
    {
        Channels = channels;
        this.isCategorical = isCategorical;
        this.categories = categories;
        NormalValues = normalValues;
        categoryLookup = new Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>[channels.Length];
        beginColumn = new int[channels.Length];
        int column = 0;
        for (int ch = 0; ch < channels.Length; ch++)
        {
            beginColumn[ch] = column;
            var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
            // Python's list.index returns the first match, so a repeated string keeps its first position.
            for (int k = 0; k < categories[ch].Length; k++) lookup.TryAdd(categories[ch][k], k);
            categoryLookup[ch] = lookup.GetAlternateLookup<ReadOnlySpan<char>>();
            column += isCategorical[ch] ? categories[ch].Length : 1;
        }
        ValueColumnCount = column;
        ColumnCount = column + channels.Length;
        normalCodes = new double[channels.Length];
        for (int ch = 0; ch < channels.Length; ch++)
        {
            if (Encode(ch, normalValues[ch], out normalCodes[ch]) != EncodeResult.Ok)
                throw new ClinFuseException($"{source}: normal value '{normalValues[ch]}' of channel '{channels[ch]}' is not a valid value of that channel.",
                    "Fix normal_values in the discretizer configuration.");
        }
        Header = new DiscretizerHeader(this);
    }

    /// <summary>The reference configuration (17 channels, 76 columns), loaded from the embedded resource.</summary>
    public static DiscretizerConfig Reference { get; } = LoadReference();

    /// <summary>Channel names in column order.</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>Number of channels (17 for the reference configuration).</summary>
    public int ChannelCount => Channels.Count;

    /// <summary>The imputation value of each channel before its first observation, as text.</summary>
    public IReadOnlyList<string> NormalValues { get; }

    /// <summary>Columns of the value block (59 for the reference): one per continuous channel, one per category.</summary>
    public int ValueColumnCount { get; }

    /// <summary>All output columns: value block followed by one mask column per channel (76 for the reference).</summary>
    public int ColumnCount { get; }

    /// <summary>The output column names.</summary>
    public DiscretizerHeader Header { get; }

    /// <summary>Whether <paramref name="channel"/> is one-hot encoded.</summary>
    public bool IsCategorical(int channel) => isCategorical[channel];

    /// <summary>The category strings of a categorical channel (empty for continuous channels), in column order.</summary>
    public IReadOnlyList<string> Categories(int channel) => categories[channel];

    /// <summary>First output column of <paramref name="channel"/> in the value block.</summary>
    public int BeginColumn(int channel) => beginColumn[channel];

    /// <summary>The mask column of <paramref name="channel"/>.</summary>
    public int MaskColumn(int channel) => ValueColumnCount + channel;

    internal double NormalCode(int channel) => normalCodes[channel];

    /// <summary>
    /// Encodes one cell: a categorical string becomes its category position, a continuous string its
    /// finite float64 value (the reference's <c>float(text)</c>; surrounding white space is allowed).
    /// </summary>
    internal EncodeResult Encode(int channel, ReadOnlySpan<char> text, out double code)
    {
        if (isCategorical[channel])
        {
            if (categoryLookup[channel].TryGetValue(text, out int index))
            {
                code = index;
                return EncodeResult.Ok;
            }
            code = 0;
            return EncodeResult.UnknownCategory;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out code))
            return double.IsFinite(code) ? EncodeResult.Ok : EncodeResult.NotFinite;
        return EncodeResult.NotANumber;
    }

    /// <summary>Reads a configuration in the reference JSON format (<c>id_to_channel</c>, <c>is_categorical_channel</c>, <c>possible_values</c>, <c>normal_values</c>).</summary>
    public static DiscretizerConfig Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Parse(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinFuseException($"Cannot read discretizer configuration {path}: {e.Message}", inner: e);
        }
    }

    static DiscretizerConfig LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"Embedded resource {ReferenceResource} is missing from the build.");
        return Parse(stream, "embedded discretizer_config.json");
    }

    static DiscretizerConfig Parse(Stream stream, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            var channels = root.GetProperty("id_to_channel").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
            if (channels.Length is 0 or > byte.MaxValue)
                throw new ClinFuseException($"{source}: id_to_channel must list between 1 and 255 channels, found {channels.Length}.");
            var isCategorical = new bool[channels.Length];
            var categories = new string[channels.Length][];
            var normals = new string[channels.Length];
            for (int ch = 0; ch < channels.Length; ch++)
            {
                string name = channels[ch];
                isCategorical[ch] = root.GetProperty("is_categorical_channel").GetProperty(name).GetBoolean();
                categories[ch] = isCategorical[ch]
                    ? root.GetProperty("possible_values").GetProperty(name).EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
                    : [];
                if (isCategorical[ch] && categories[ch].Length == 0)
                    throw new ClinFuseException($"{source}: categorical channel '{name}' has no possible_values.");
                normals[ch] = root.GetProperty("normal_values").GetProperty(name).GetString() ?? "";
            }
            return new DiscretizerConfig(channels, isCategorical, categories, normals, source);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ClinFuseException($"{source} is not a valid discretizer configuration: {e.Message}",
                "Expected the mimic3-benchmarks discretizer_config.json layout.", inner: e);
        }
    }
}

/// <summary>Outcome of encoding one cell.</summary>
internal enum EncodeResult
{
    Ok,
    UnknownCategory,
    NotANumber,
    NotFinite,
}
