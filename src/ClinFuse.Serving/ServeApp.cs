using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using ClinFuse.Core;
using ClinFuse.Inference.Prediction;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClinFuse.Serving;

/// <summary>
/// The <c>clinfuse serve</c> web service (ASP.NET Core minimal API): <c>POST /predict</c>,
/// <c>GET /health</c>, <c>GET /model</c> and the page at <c>/</c>. Refused requests get a 4xx
/// status and <c>{"error": "one line"}</c>; the request log holds method, path, status and time,
/// never patient data.
/// </summary>
public sealed class ServeApp : IAsyncDisposable
{
    readonly WebApplication app;
    readonly BatchingPredictor batching;

    ServeApp(WebApplication app, BatchingPredictor batching)
    {
        this.app = app;
        this.batching = batching;
    }

    /// <summary>The address the service listens on, once started (the bound port when 0 was asked for).</summary>
    public string Address => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
        ?? throw new InvalidOperationException("The service has not started.");

    /// <summary>Builds the service over a loaded run; <paramref name="log"/> receives one line per request.</summary>
    public static ServeApp Create(ServeOptions options, RunPredictor predictor, Action<string>? log = null)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ServeApp).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = options.MaxRequestBytes;
            f.ValueCountLimit = 16;
        });
        var app = builder.Build();
        var batching = new BatchingPredictor(predictor, options.MaxBatch, options.MaxQueue);
        var descriptor = PredictionsOutput.Describe(predictor);

        app.Use(async (context, next) =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                if (options.Token is not null && IsApi(context.Request.Path) && !Authorised(context.Request, options.Token))
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    throw new RequestError(401, "Missing or wrong bearer token (Authorization: Bearer <token>).");
                }
                await next(context);
            }
            catch (RequestError e)
            {
                await Error(context, e.Status, e.Message);
            }
            catch (ClinFuseException e)
            {
                await Error(context, 400, RequestError.OneLine(e.Message));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log?.Invoke($"internal error: {e.GetType().Name}");
                await Error(context, 500, "Internal error; the request was not predicted.");
            }
            log?.Invoke($"{context.Request.Method} {context.Request.Path} {context.Response.StatusCode} {clock.ElapsedMilliseconds} ms");
        });
        // Requests no endpoint answers (404, 405) get the same one-line JSON error.
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            await Error(context, context.Response.StatusCode, context.Response.StatusCode switch
            {
                404 => $"No such endpoint: {context.Request.Method} {context.Request.Path}.",
                405 => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
                _ => "The request was refused.",
            });
        });

        app.MapGet("/health", () => Results.Json(new { status = "ok", model = descriptor.Model, batches = batching.Counts.Batches, stays = batching.Counts.Stays }));
        app.MapGet("/model", () => Results.Json(descriptor, PredictionsOutput.Json));
        app.MapPost("/predict", async (HttpRequest request, CancellationToken ct) =>
        {
            var (stay, explain) = await StayRequestReader.ReadAsync(request, predictor.Preprocessing, options, ct);
            var input = predictor.Preprocessing.ToModelInput(stay);
            var prediction = await batching.PredictAsync(input);
            var explanation = explain ? await Task.Run(() => StayExplanation.Compute(predictor, stay, input, prediction), ct) : null;
            var response = new PredictResponse(descriptor.Model, descriptor.Labels, predictor.Calibration?.Temperature,
                StayPredictionJson.From(prediction, predictor.Preprocessing.Labels), explanation);
            return Results.Json(response, PredictionsOutput.Json);
        });
        foreach (var (route, resource, type) in new[] { ("/", "index.html", "text/html; charset=utf-8"), ("/app.js", "app.js", "text/javascript; charset=utf-8"), ("/style.css", "style.css", "text/css; charset=utf-8") })
        {
            var bytes = Resource(resource);
            app.MapGet(route, () => Results.Bytes(bytes, type));
        }
        return new ServeApp(app, batching);
    }

    /// <summary>Starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => app.StartAsync(cancellationToken);

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await app.StartAsync(cancellationToken);
        try { await Task.Delay(Timeout.Infinite, cancellationToken); }
        catch (OperationCanceledException) { }
        await app.StopAsync(CancellationToken.None);
    }

    /// <summary>Stops the server and the batching worker.</summary>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await batching.DisposeAsync();
    }

    static bool IsApi(PathString path) => path.StartsWithSegments("/predict") || path.StartsWithSegments("/model");

    static bool Authorised(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }

    static async Task Error(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new { error = message }, ErrorJson));
    }

    // Messages are plain text in a JSON body: quotes and apostrophes need no \u escapes.
    static readonly System.Text.Json.JsonSerializerOptions ErrorJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static byte[] Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"The page resource {name} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>The answer of <c>POST /predict</c>.</summary>
internal sealed record PredictResponse(string Model, IReadOnlyList<string> Labels, double? Temperature, StayPredictionJson Prediction, StayExplanation? Explanation);
