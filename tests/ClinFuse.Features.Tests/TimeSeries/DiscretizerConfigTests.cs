using System.Security.Cryptography;
using ClinFuse.Core;
using ClinFuse.Features.TimeSeries;

namespace ClinFuse.Features.Tests.TimeSeries;

public sealed class DiscretizerConfigTests
{
    [Fact]
    public void Embedded_configuration_is_byte_identical_to_the_reference_file()
    {
        using var stream = typeof(DiscretizerConfig).Assembly.GetManifestResourceStream("ClinFuse.Features.Resources.discretizer_config.json")!;
        string expected = GoldenFiles.Json("episodes.json").GetProperty("resource_sha256").GetProperty("discretizer_config.json").GetString()!;
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    [Fact]
    public void Reference_configuration_matches_the_core_channel_list_and_normal_values()
    {
        var config = DiscretizerConfig.Reference;
        Assert.Equal(SeriesChannels.Names, config.Channels);
        Assert.Equal(59, config.ValueColumnCount);
        Assert.Equal(76, config.ColumnCount);
        Assert.Equal("86", config.NormalValues[SeriesChannels.IndexOf(SeriesChannels.HeartRate)]);
        Assert.Equal("4 Spontaneously", config.NormalValues[SeriesChannels.IndexOf(SeriesChannels.GcsEyeOpening)]);
    }

    [Fact]
    public void A_custom_configuration_file_defines_channels_columns_and_header()
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("config.json");
        File.WriteAllText(path, """
            {"id_to_channel": ["Mood", "Pulse"],
             "is_categorical_channel": {"Mood": true, "Pulse": false},
             "possible_values": {"Mood": ["low", "high"], "Pulse": []},
             "normal_values": {"Mood": "high", "Pulse": "70"}}
            """);
        var config = DiscretizerConfig.Load(path);
        Assert.Equal(["Mood->low", "Mood->high", "Pulse", "mask->Mood", "mask->Pulse"], config.Header.Names);
        Assert.Equal([2], config.Header.StandardizedColumns);
        var matrix = new Discretizer(config).Transform(SeriesEpisode.FromObservations([new(1.5, 0, "low")], config), 3);
        Assert.Equal([0f, 1f, 70f, 0f, 0f, 1f, 0f, 70f, 1f, 0f, 1f, 0f, 70f, 0f, 0f], matrix.Values);
    }

    [Theory]
    [InlineData("{", "is not a valid discretizer configuration")]
    [InlineData("{\"id_to_channel\": [\"A\"]}", "is not a valid discretizer configuration")]
    [InlineData("{\"id_to_channel\": [\"A\"], \"is_categorical_channel\": {\"A\": true}, \"possible_values\": {\"A\": []}, \"normal_values\": {\"A\": \"x\"}}", "has no possible_values")]
    [InlineData("{\"id_to_channel\": [\"A\"], \"is_categorical_channel\": {\"A\": false}, \"possible_values\": {\"A\": []}, \"normal_values\": {\"A\": \"x\"}}", "normal value 'x'")]
    public void Invalid_configuration_files_are_rejected_naming_the_file(string content, string expected)
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("config.json");
        File.WriteAllText(path, content);
        var error = Assert.Throws<ClinFuseException>(() => DiscretizerConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Episodes_encoded_with_another_configuration_are_refused()
    {
        using var folder = Fixtures.TempFolder();
        string path = folder.Combine("config.json");
        File.WriteAllText(path, """{"id_to_channel": ["P"], "is_categorical_channel": {"P": false}, "possible_values": {"P": []}, "normal_values": {"P": "1"}}""");
        var other = SeriesEpisode.FromObservations([], DiscretizerConfig.Load(path));
        Assert.Throws<ArgumentException>(() => new Discretizer().Transform(other, 48));
    }
}
