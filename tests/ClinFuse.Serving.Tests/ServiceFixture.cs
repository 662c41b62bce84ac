using System.Collections.Concurrent;
using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Inference.Prediction;
using ClinFuse.Tests.Inference;
using ClinFuse.Training.Tests.Evaluation;

namespace ClinFuse.Serving.Tests;

/// <summary>
/// The attention run of <see cref="TrainedRunsFixture"/> served on a free loopback port (small size
/// limits so that the limit tests stay small), a second service over the series-only run with a
/// bearer token, and a test stay with its chest X-ray.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public const string Token = "test-token-123";
    public const long MaxSeriesBytes = 256 << 10, MaxRequestBytes = 2 << 20, MaxImagePixels = 2_000_000;

    public static TrainedRunsFixture Runs => TrainedRunsFixture.Shared;

    RunPredictor? attention, ehr;
    ServeApp? attentionApp, ehrApp;

    public ConcurrentQueue<string> Log { get; } = new();
    public HttpClient Client { get; } = new();
    public HttpClient EhrClient { get; } = new();
    public RunPredictor Attention => attention!;
    public string SeriesCsv { get; private set; } = "";
    public byte[] Jpeg { get; private set; } = [];
    public string StayId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        (StayId, SeriesCsv, Jpeg) = TestStay();

        attention = RunPredictor.Open(Runs.AttentionRun, new ComputeSettings(1));
        attentionApp = ServeApp.Create(new ServeOptions(Port: 0, MaxRequestBytes: MaxRequestBytes, MaxSeriesBytes: MaxSeriesBytes, MaxImagePixels: MaxImagePixels), attention, Log.Enqueue);
        await attentionApp.StartAsync();
        Client.BaseAddress = new Uri(attentionApp.Address);

        ehr = RunPredictor.Open(Runs.EhrRun, new ComputeSettings(1));
        ehrApp = ServeApp.Create(new ServeOptions(Port: 0, Token: Token), ehr);
        await ehrApp.StartAsync();
        EhrClient.BaseAddress = new Uri(ehrApp.Address);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        EhrClient.Dispose();
        if (attentionApp is not null) await attentionApp.DisposeAsync();
        if (ehrApp is not null) await ehrApp.DisposeAsync();
        attention?.Dispose();
        ehr?.Dispose();
    }

    /// <summary>The first test stay of the fixture cohort that has a chest X-ray: its id, episode CSV and JPEG.</summary>
    public static (string Id, string SeriesCsv, byte[] Jpeg) TestStay()
    {
        var cohort = CohortStore.Open(Runs.CohortFolder);
        var sample = cohort.Samples(ClinicalTask.InHospitalMortality, Split.Test).First(s => s.HasImage);
        return (sample.StayId.ToString(System.Globalization.CultureInfo.InvariantCulture), EpisodeFiles.Csv(cohort, sample),
            File.ReadAllBytes(Path.Combine(cohort.Manifest.Config["mimic_cxr"]!.GetValue<string>(), sample.CxrPath!)));
    }

    /// <summary>A multipart form with the given parts (text fields or files).</summary>
    public static MultipartFormDataContent Form(params (string Name, object Value, string? FileName)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value, fileName) in parts)
        {
            HttpContent content = value switch
            {
                byte[] bytes => new ByteArrayContent(bytes),
                _ => new StringContent(value.ToString()!),
            };
            if (fileName is null) form.Add(content, name);
            else form.Add(content, name, fileName);
        }
        return form;
    }
}
