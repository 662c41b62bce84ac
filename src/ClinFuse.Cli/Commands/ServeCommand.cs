using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Inference.Prediction;
using ClinFuse.Serving;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse serve</c>: a local web service and page over a trained run.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Finished run folder (train or pretrain --out).", Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on (the service has no TLS; keep it on loopback or behind a proxy).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port.", DefaultValueFactory = _ => 8080 };
        var token = new Option<string?>("--token") { Description = "Require `Authorization: Bearer <token>` on /predict and /model (default: the CLINFUSE_TOKEN environment variable, if set)." };
        var maxMb = new Option<int>("--max-request-mb") { Description = "Largest request body in MiB.", DefaultValueFactory = _ => 32 };
        var maxPixels = new Option<long>("--max-image-pixels") { Description = "Largest image (width × height) decoded.", DefaultValueFactory = _ => 50_000_000 };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most waiting requests predicted in one batch.", DefaultValueFactory = _ => 16 };
        var command = new Command("serve", "Serve a trained run over HTTP: POST /predict, GET /health, GET /model, and a page at / (docs/serve.md).")
        {
            run, host, port, token, maxMb, maxPixels, maxBatch,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = new ServeOptions(r.GetValue(host)!, r.GetValue(port), r.GetValue(token) ?? Environment.GetEnvironmentVariable("CLINFUSE_TOKEN"),
                MaxRequestBytes: (long)r.GetValue(maxMb) << 20, MaxImagePixels: r.GetValue(maxPixels), MaxBatch: r.GetValue(maxBatch));
            if (r.GetValue(maxMb) < 1) throw new ClinFuseException("--max-request-mb must be at least 1.", "", ExitCodes.Usage);
            options.Validate();
            var error = r.InvocationConfiguration.Error;
            using var predictor = RunPredictor.Open(r.GetValue(run)!.FullName, CommonOptions.Compute(r));
            await using var app = ServeApp.Create(options, predictor, line => error.WriteLine(line));
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new ClinFuseException($"Cannot listen on {options.Host}:{options.Port}: {e.Message}", "Choose another --port, or stop the program using it.", ExitCodes.Environment);
            }
            await r.InvocationConfiguration.Output.WriteLineAsync($"serving {predictor.ModelName} at {app.Address} (Ctrl+C to stop)");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            return ExitCodes.Ok;
        });
        return command;
    }
}
