using System.Globalization;

namespace ClinFuse.Evaluation;

/// <summary>
/// Where the robustness protocols write inside a run's output folder, as <c>clinfuse robustness</c>
/// writes it and <c>clinfuse report</c> reads it: <c>robustness/&lt;protocol&gt;/&lt;level&gt;/metrics.json</c>,
/// and <c>missing-image/metrics.json</c>.
/// </summary>
public static class RobustnessLayout
{
    /// <summary>The folder of the noise protocols.</summary>
    public const string Folder = "robustness";

    /// <summary>Trained and tested on noisy data (the paper's Table IV).</summary>
    public const string NoisyTrainTest = "noisy-train-test";

    /// <summary>Trained clean, tested on noisy data (the paper's Table V).</summary>
    public const string CleanTrainNoisyTest = "clean-train-noisy-test";

    /// <summary>The folder of the missing-image protocol (every test image removed).</summary>
    public const string MissingImageFolder = "missing-image";

    /// <summary>The noise protocols a robustness folder may hold.</summary>
    public static IReadOnlyList<string> Protocols { get; } = [NoisyTrainTest, CleanTrainNoisyTest];

    /// <summary>The folder name of a noise level (percent).</summary>
    public static string LevelName(int level) => level.ToString(CultureInfo.InvariantCulture);

    /// <summary>The folder of one level of one protocol inside <paramref name="output"/>.</summary>
    public static string LevelFolder(string output, string protocol, int level) => Path.Combine(output, Folder, protocol, LevelName(level));

    /// <summary>The metrics file of one level of one protocol inside <paramref name="output"/>.</summary>
    public static string LevelMetrics(string output, string protocol, int level) => Path.Combine(LevelFolder(output, protocol, level), MetricsJson.FileName);
}
