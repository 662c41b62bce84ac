using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ClinFuse.Core;
using ClinFuse.Inference.Calibration;
using ClinFuse.Inference.Prediction;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace ClinFuse.Serving.Tests;

/// <summary>
/// The page of <c>clinfuse serve</c> in a real browser: Debian's Chromium (installed by
/// build/system-packages.sh --tests, which ./test.sh runs), driven headless by PuppeteerSharp, uploads
/// a synthetic stay with its chest X-ray through the page's form over a calibrated attention run.
/// </summary>
public sealed class PageTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Where the page as rendered is saved (the test's output folder).</summary>
    public static readonly string ScreenshotPath = Path.Combine(AppContext.BaseDirectory, "serve-page.png");

    RunPredictor? predictor;
    ServeApp? app;

    public async Task InitializeAsync()
    {
        var runs = ServiceFixture.Runs;
        var run = runs.CopyRun(runs.AttentionRun, "page-run");
        CalibrateStage.Run(run, new ComputeSettings(1));
        predictor = RunPredictor.Open(run, new ComputeSettings(1));
        app = ServeApp.Create(new ServeOptions(Port: 0), predictor);
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        predictor?.Dispose();
    }

    /// <summary>
    /// The system's Chromium, or a failure that says how to install it. Debian's browser binary is
    /// preferred to its <c>/usr/bin/chromium</c> launcher script, whose environment checks took 20 s
    /// of the launch on a machine without D-Bus.
    /// </summary>
    static string Chromium()
    {
        var path = new[] { "/usr/lib/chromium/chromium" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(dir => new[] { Path.Combine(dir, "chromium"), Path.Combine(dir, "chromium-browser") }))
            .FirstOrDefault(File.Exists);
        Assert.True(path is not null,
            "Chromium is not installed, so the page cannot be tested in a browser. Install Debian's chromium: run build/system-packages.sh --tests as root " +
            "(./test.sh does), or apt-get install chromium.");
        return path!;
    }

    [Fact]
    public async Task The_page_renders_the_risks_of_an_uploaded_stay_as_the_api_answers_with_the_gradcam_overlay()
    {
        var executable = Chromium();
        var (id, csv, jpeg) = ServiceFixture.TestStay();
        var series = ServiceFixture.Runs.Scratch($"{id}_timeseries.csv");
        var image = ServiceFixture.Runs.Scratch($"{id}.jpg");
        await File.WriteAllTextAsync(series, csv);
        await File.WriteAllBytesAsync(image, jpeg);

        // The API's answer for the same upload as the page sends it (series, image, explain=1).
        using var client = new HttpClient { BaseAddress = new Uri(app!.Address) };
        var form = ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(csv), Path.GetFileName(series)), ("image", jpeg, Path.GetFileName(image)), ("explain", "1", null));
        var api = JsonNode.Parse(await (await client.PostAsync("/predict", form)).Content.ReadAsStringAsync())!;
        var prediction = api["prediction"]!;
        Assert.NotNull(prediction["calibrated"]);

        var options = new LaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
                ? ["--no-sandbox", "--disable-dev-shm-usage"] : ["--disable-dev-shm-usage"],
            DefaultViewport = new ViewPortOptions { Width = 1000, Height = 900 },
            // A loaded 2-core machine (test projects run side by side) can take far longer than the default 30 s to start it.
            Timeout = 180_000,
        };
        await using var browser = await Puppeteer.LaunchAsync(options);
        await using var page = await browser.NewPageAsync();
        page.DefaultTimeout = 120_000;
        page.DefaultNavigationTimeout = 120_000;
        var pageErrors = new List<string>();
        page.PageError += (_, e) => pageErrors.Add(e.Message);

        await page.GoToAsync(app.Address + "/", WaitUntilNavigation.Networkidle0);
        await page.WaitForFunctionAsync("() => !document.getElementById('model').textContent.startsWith('loading')");
        Assert.Contains(predictor!.ModelName, await Text(page, "#model"));
        await (await page.QuerySelectorAsync("#series"))!.UploadFileAsync(series);
        await (await page.QuerySelectorAsync("#image"))!.UploadFileAsync(image);
        await page.ClickAsync("#submit");
        await page.WaitForFunctionAsync(
            "() => !document.getElementById('result').hidden && document.getElementById('gradcam').complete && document.getElementById('cxr').complete",
            new WaitForFunctionOptions { Timeout = 120_000 });
        Assert.True(await page.EvaluateExpressionAsync<bool>("document.getElementById('error').hidden"), await Text(page, "#error"));

        // Risks: one row per label, the numbers the API gave as the page shows them (4 decimals).
        var risks = await Rows(page, "#risks");
        var labels = api["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.Equal(labels, risks.Select(r => r[0]));
        for (int i = 0; i < labels.Count; i++)
        {
            AssertShown(prediction["probabilities"]![labels[i]]!.GetValue<double>(), risks[i][1]);
            AssertShown(prediction["calibrated"]![labels[i]]!.GetValue<double>(), risks[i][2]);
        }

        // Attention: one row per layer, [series, image] × [series, image].
        var attention = await Rows(page, "#attention");
        var layers = prediction["attention"]!.AsArray();
        Assert.NotEmpty(layers);
        Assert.Equal(layers.Count, attention.Count);
        for (int l = 0; l < layers.Count; l++)
        {
            var weights = layers[l]!["weights"]!.AsArray().SelectMany(r => r!.AsArray()).Select(w => w!.GetValue<double>()).ToList();
            Assert.Equal(layers[l]!["layer"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture), attention[l][0]);
            Assert.Equal(weights.Count, attention[l].Length - 1);
            for (int k = 0; k < weights.Count; k++) AssertShown(weights[k], attention[l][k + 1]);
        }

        // The series plot: a cell per variable and hour, captioned with the completeness check.
        var explanation = api["explanation"]!;
        int cells = explanation["channels"]!.AsArray().Count * explanation["hours"]!.GetValue<int>();
        Assert.Equal(cells, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#attribution rect').length"));
        Assert.Contains($"attributions sum {explanation["attribution_sum"]!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture)}", await Text(page, "#attribution"));

        // The CLAHE image and the Grad-CAM overlay are loaded, shown and the crop's size.
        Assert.False(await page.EvaluateExpressionAsync<bool>("document.getElementById('imaging').hidden"));
        foreach (var img in new[] { "cxr", "gradcam" })
        {
            Assert.Equal(explanation[img == "cxr" ? "image_png" : "gradcam_png"]!.GetValue<string>(), await page.EvaluateExpressionAsync<string>($"document.getElementById('{img}').src"));
            Assert.Equal(predictor.Preprocessing.CropSize, await page.EvaluateExpressionAsync<int>($"document.getElementById('{img}').naturalWidth"));
            Assert.True(await page.EvaluateExpressionAsync<bool>($"document.getElementById('{img}').getBoundingClientRect().width > 0"), $"#{img} is not displayed");
        }
        Assert.Empty(pageErrors);

        await page.ScreenshotAsync(ScreenshotPath, new ScreenshotOptions { FullPage = true });
        output.WriteLine($"screenshot: {ScreenshotPath}");
    }

    static async Task<string> Text(IPage page, string selector) => await page.QuerySelectorAsync(selector) is { } element
        ? await element.EvaluateFunctionAsync<string>("e => e.textContent") : "";

    static async Task<List<string[]>> Rows(IPage page, string table) =>
        [.. await page.EvaluateFunctionAsync<string[][]>(
            "selector => [...document.querySelectorAll(selector + ' tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))", table)];

    /// <summary>The page shows <paramref name="value"/> to 4 decimals.</summary>
    static void AssertShown(double value, string shown)
    {
        Assert.Matches(@"^\d\.\d{4}$", shown);
        Assert.True(Math.Abs(double.Parse(shown, CultureInfo.InvariantCulture) - value) <= 0.5e-4 + 1e-12, $"the page shows {shown}, the API answered {value}");
    }
}
