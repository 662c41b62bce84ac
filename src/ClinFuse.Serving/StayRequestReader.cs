using System.Globalization;
using System.Text;
using ClinFuse.Core;
using ClinFuse.Features.Images;
using ClinFuse.Inference.Prediction;
using Microsoft.AspNetCore.Http;

namespace ClinFuse.Serving;

/// <summary>
/// Turns a <c>POST /predict</c> form into a stay: the <c>series</c> file (episode time-series CSV),
/// an optional <c>image</c> file (JPEG or PNG), optional <c>hours</c> (length of stay) and <c>id</c>.
/// Every problem is a <see cref="RequestError"/> with a 4xx status and one line; the messages name
/// the field, never the content.
/// </summary>
internal static class StayRequestReader
{
    static readonly string[] Fields = ["series", "image", "hours", "id", "explain"];

    /// <summary>Reads and checks the form of <paramref name="request"/>.</summary>
    public static async Task<(StayInput Stay, bool Explain)> ReadAsync(HttpRequest request, RunPreprocessing preprocessing, ServeOptions options, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType || !(request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new RequestError(415, "POST /predict takes multipart/form-data with a 'series' file (and optionally 'image', 'hours', 'id').");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(options);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(options);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            throw new RequestError(400, "The multipart body is malformed.");
        }

        foreach (var key in form.Keys.Concat(form.Files.Select(f => f.Name)))
            if (!Fields.Contains(key, StringComparer.Ordinal))
                throw new RequestError(400, $"Unknown form field '{Truncate(key)}'; expected {string.Join(", ", Fields)}.");

        var seriesFiles = form.Files.GetFiles("series");
        if (seriesFiles.Count == 0)
            throw new RequestError(400, form.ContainsKey("series") ? "'series' must be sent as a file part (an episode time-series CSV)." : "The form has no 'series' file (an episode time-series CSV).");
        if (seriesFiles.Count > 1 || form.Files.GetFiles("image").Count > 1)
            throw new RequestError(400, "Send one 'series' file and at most one 'image' file per request.");
        var series = seriesFiles[0];
        if (series.Length == 0) throw new RequestError(400, "The 'series' file is empty.");
        if (series.Length > options.MaxSeriesBytes)
            throw new RequestError(413, $"The 'series' file has {series.Length} bytes; the limit is {options.MaxSeriesBytes}.");

        double? hours = null;
        if (form.TryGetValue("hours", out var hoursText))
        {
            if (!double.TryParse(hoursText.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || !double.IsFinite(parsed) || parsed < 0 || parsed > Features.TimeSeries.Discretizer.MaxEndHours)
                throw new RequestError(400, $"'hours' must be a length of stay in hours between 0 and {Features.TimeSeries.Discretizer.MaxEndHours}.");
            hours = parsed;
        }
        string id = form.TryGetValue("id", out var idText) && idText.ToString().Length > 0 ? idText.ToString() : "stay";
        if (id.Length > 128 || id.Any(char.IsControl)) throw new RequestError(400, "'id' must be at most 128 printable characters.");
        bool explain = form.TryGetValue("explain", out var explainText) && explainText.ToString() is "1" or "true" or "on";

        byte[]? image = null;
        var imageFile = form.Files.GetFile("image");
        if (imageFile is not null && imageFile.Length > 0)
        {
            if (!preprocessing.GivesImages)
                throw new RequestError(400, "This model does not take images; send the series only.");
            image = new byte[imageFile.Length];
            await using (var stream = imageFile.OpenReadStream()) await stream.ReadExactlyAsync(image, cancellationToken);
            var size = ImageDecoder.ReadSize(image) ?? throw new RequestError(415, "The 'image' file is not a JPEG or PNG.");
            if ((long)size.Width * size.Height > options.MaxImagePixels)
                throw new RequestError(413, $"The image has {size.Width}x{size.Height} pixels; the limit is {options.MaxImagePixels} pixels.");
        }

        string text;
        try
        {
            await using var stream = series.OpenReadStream();
            using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false);
            text = await reader.ReadToEndAsync(cancellationToken);
        }
        catch (DecoderFallbackException)
        {
            throw new RequestError(400, "The 'series' file is not UTF-8 text (an episode time-series CSV).");
        }
        try
        {
            return (StaySources.FromEpisode(new StringReader(text), "series", id, image, "image", preprocessing, hours), explain);
        }
        catch (ClinFuseException e)
        {
            throw new RequestError(400, e.Message);
        }
    }

    static RequestError TooLarge(ServeOptions options) => new(413, $"The request is larger than the limit of {options.MaxRequestBytes} bytes.");

    static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
