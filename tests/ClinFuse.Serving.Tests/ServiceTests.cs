using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ClinFuse.Inference.Prediction;

namespace ClinFuse.Serving.Tests;

public sealed class ServiceTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    MultipartFormDataContent StayForm(bool image = true, string id = "new-patient") => image
        ? ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "stay.csv"), ("image", service.Jpeg, "cxr.jpg"), ("id", id, null))
        : ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "stay.csv"), ("id", id, null));

    [Fact]
    public async Task Health_and_model_describe_the_loaded_run()
    {
        var health = await service.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", (await Json(health))["status"]!.GetValue<string>());

        var model = await Json(await service.Client.GetAsync("/model"));
        Assert.Equal("in-hospital-mortality", model["task"]!.GetValue<string>());
        Assert.Equal(["y_true"], model["labels"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(service.Attention.ModelName, model["model"]!.GetValue<string>());
        Assert.True(model["preprocessing"]!["gives_images"]!.GetValue<bool>());
        Assert.Equal(Path.GetFileName(ServiceFixture.Runs.AttentionRun), model["provenance"]!["run"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stay_with_an_image_is_predicted_as_predict_does_and_nothing_of_it_is_logged()
    {
        var response = await service.Client.PostAsync("/predict", StayForm(id: "secret-patient-id"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Json(response);
        var prediction = json["prediction"]!;
        Assert.True(prediction["has_image"]!.GetValue<bool>());
        Assert.Equal("secret-patient-id", prediction["id"]!.GetValue<string>());

        var stay = StaySources.FromEpisode(new StringReader(service.SeriesCsv), "series", "x", service.Jpeg, "image", service.Attention.Preprocessing);
        var expected = service.Attention.Predict([stay]).Single();
        Assert.Equal(expected.Probabilities[0], prediction["probabilities"]!["y_true"]!.GetValue<double>(), 1e-6);
        Assert.NotEmpty(prediction["attention"]!.AsArray());
        Assert.DoesNotContain(service.Log, line => line.Contains("secret-patient-id") || line.Contains("Hours"));
        Assert.Contains(service.Log, line => line.StartsWith("POST /predict 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Explain_returns_integrated_gradients_that_add_up_and_the_gradcam_layer_of_the_crop()
    {
        var form = ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "stay.csv"), ("image", service.Jpeg, "cxr.jpg"), ("explain", "1", null));
        var response = await service.Client.PostAsync("/predict", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Json(response);
        var e = json["explanation"]!;
        Assert.Equal("y_true", e["label"]!.GetValue<string>());
        Assert.Equal(17, e["channels"]!.AsArray().Count);
        Assert.Equal(17 * e["hours"]!.GetValue<int>(), e["by_channel"]!.AsArray().Count);
        double change = e["output"]!.GetValue<double>() - e["baseline_output"]!.GetValue<double>();
        Assert.Equal(json["prediction"]!["probabilities"]!["y_true"]!.GetValue<double>(), e["output"]!.GetValue<double>(), 1e-5);
        Assert.True(Math.Abs(e["attribution_sum"]!.GetValue<double>() - change) <= 0.01 * Math.Abs(change) + 1e-6);
        foreach (var key in new[] { "image_png", "gradcam_png" })
        {
            var png = Convert.FromBase64String(e[key]!.GetValue<string>()["data:image/png;base64,".Length..]);
            Assert.Equal((224, 224), ClinFuse.Features.Images.ImageDecoder.ReadSize(png));
        }
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_gets_its_own_answer()
    {
        var single = await Json(await service.Client.PostAsync("/predict", StayForm()));
        var seriesOnly = await Json(await service.Client.PostAsync("/predict", StayForm(image: false)));
        double withImage = single["prediction"]!["probabilities"]!["y_true"]!.GetValue<double>();
        double without = seriesOnly["prediction"]!["probabilities"]!["y_true"]!.GetValue<double>();

        var tasks = Enumerable.Range(0, 24).Select(i => service.Client.PostAsync("/predict", StayForm(image: i % 2 == 0, id: $"c{i}"))).ToArray();
        var responses = await Task.WhenAll(tasks);
        for (int i = 0; i < responses.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, responses[i].StatusCode);
            var p = (await Json(responses[i]))["prediction"]!;
            Assert.Equal($"c{i}", p["id"]!.GetValue<string>());
            Assert.Equal(i % 2 == 0, p["has_image"]!.GetValue<bool>());
            Assert.Equal(i % 2 == 0 ? withImage : without, p["probabilities"]!["y_true"]!.GetValue<double>(), 1e-5);
        }
    }

    static async Task<string> AssertRefused(HttpResponseMessage response, HttpStatusCode status, string mentions)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var error = (await Json(response))["error"]!.GetValue<string>();
        Assert.DoesNotContain('\n', error);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Contains(mentions, error, StringComparison.OrdinalIgnoreCase);
        return error;
    }

    [Fact]
    public async Task Unknown_endpoint_is_404() =>
        await AssertRefused(await service.Client.GetAsync("/nope"), HttpStatusCode.NotFound, "/nope");

    [Fact]
    public async Task Wrong_method_is_405() =>
        await AssertRefused(await service.Client.DeleteAsync("/predict"), HttpStatusCode.MethodNotAllowed, "DELETE");

    [Fact]
    public async Task A_json_body_is_415() =>
        await AssertRefused(await service.Client.PostAsync("/predict", new StringContent("{\"series\": 1}", Encoding.UTF8, "application/json")), HttpStatusCode.UnsupportedMediaType, "multipart");

    [Fact]
    public async Task A_form_without_series_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("image", service.Jpeg, "cxr.jpg"))), HttpStatusCode.BadRequest, "series");

    [Fact]
    public async Task Series_as_a_text_field_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", service.SeriesCsv, null))), HttpStatusCode.BadRequest, "file part");

    [Fact]
    public async Task An_empty_series_file_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Array.Empty<byte>(), "s.csv"))), HttpStatusCode.BadRequest, "empty");

    [Fact]
    public async Task A_series_without_the_episode_header_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes("time,hr\n1,80\n"), "s.csv"))), HttpStatusCode.BadRequest, "header");

    [Fact]
    public async Task A_series_row_with_missing_cells_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv.Split('\n')[0] + "\n1.5,80\n"), "s.csv"))), HttpStatusCode.BadRequest, "line 2");

    [Fact]
    public async Task Hours_going_back_in_time_are_400()
    {
        var header = service.SeriesCsv.Split('\n')[0];
        var empty = new string(',', header.Count(c => c == ','));
        var csv = $"{header}\n5{empty}\n1{empty}\n";
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(csv), "s.csv"))), HttpStatusCode.BadRequest, "back in time");
    }

    [Fact]
    public async Task A_binary_series_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", new byte[] { 0xff, 0xfe, 0x00, 0x81, 0xc3 }, "s.csv"))), HttpStatusCode.BadRequest, "UTF-8");

    [Fact]
    public async Task A_series_over_the_limit_is_413()
    {
        var big = new byte[ServiceFixture.MaxSeriesBytes + 1];
        Array.Fill(big, (byte)'1');
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", big, "s.csv"))), HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task A_body_over_the_request_limit_is_413()
    {
        var big = new byte[ServiceFixture.MaxRequestBytes + 1024];
        // The server answers from the declared length and closes the connection; with "Expect: 100-continue" the
        // client waits for that answer instead of racing it with the body (which can end in a broken pipe).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict")
        {
            Content = ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "s.csv"), ("image", big, "cxr.jpg")),
        };
        request.Headers.ExpectContinue = true;
        await AssertRefused(await service.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task An_image_that_is_not_a_jpeg_or_png_is_415() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "s.csv"), ("image", Encoding.UTF8.GetBytes("GIF89a not really"), "x.gif"))), HttpStatusCode.UnsupportedMediaType, "JPEG or PNG");

    [Fact]
    public async Task A_truncated_jpeg_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "s.csv"), ("image", service.Jpeg[..(service.Jpeg.Length / 3)], "cxr.jpg"))), HttpStatusCode.BadRequest, "image");

    [Fact]
    public async Task An_image_over_the_pixel_limit_is_413()
    {
        using var bitmap = new SkiaSharp.SKBitmap(2000, 1001, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque);
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "s.csv"), ("image", png.ToArray(), "big.png"))), HttpStatusCode.RequestEntityTooLarge, "2000x1001");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-3")]
    [InlineData("NaN")]
    public async Task Bad_hours_are_400(string hours) =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "s.csv"), ("hours", hours, null))), HttpStatusCode.BadRequest, "hours");

    [Fact]
    public async Task An_unknown_field_is_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "s.csv"), ("patient_name", "x", null))), HttpStatusCode.BadRequest, "patient_name");

    [Fact]
    public async Task Two_series_files_are_400() =>
        await AssertRefused(await service.Client.PostAsync("/predict", ServiceFixture.Form(("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "a.csv"), ("series", Encoding.UTF8.GetBytes(service.SeriesCsv), "b.csv"))), HttpStatusCode.BadRequest, "one 'series'");

    [Fact]
    public async Task An_image_for_a_series_only_model_is_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = StayForm() };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServiceFixture.Token);
        await AssertRefused(await service.EhrClient.SendAsync(request), HttpStatusCode.BadRequest, "does not take images");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token-456")]
    public async Task A_missing_or_wrong_token_is_401(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = StayForm(image: false) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await service.EhrClient.SendAsync(request);
        await AssertRefused(response, HttpStatusCode.Unauthorized, "token");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task The_right_token_is_let_through_and_health_needs_none()
    {
        Assert.Equal(HttpStatusCode.OK, (await service.EhrClient.GetAsync("/health")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = StayForm(image: false) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServiceFixture.Token);
        var response = await service.EhrClient.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await Json(response))["prediction"]!["has_image"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_page_and_its_assets_come_from_the_assembly()
    {
        var page = await service.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("text/html", page.Content.Headers.ContentType?.ToString());
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/app.js")).StatusCode);
    }
}
