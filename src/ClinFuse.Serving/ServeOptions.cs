using ClinFuse.Core;

namespace ClinFuse.Serving;

/// <summary>Settings of <c>clinfuse serve</c>.</summary>
/// <param name="Host">Address to listen on (loopback by default: the service has no TLS).</param>
/// <param name="Port">TCP port (0: any free port).</param>
/// <param name="Token">When set, API requests need <c>Authorization: Bearer &lt;token&gt;</c>.</param>
/// <param name="MaxRequestBytes">Largest request body.</param>
/// <param name="MaxSeriesBytes">Largest series CSV.</param>
/// <param name="MaxImagePixels">Largest image (width × height) the service decodes.</param>
/// <param name="MaxBatch">Most requests predicted together.</param>
/// <param name="MaxQueue">Requests waiting for the model before new ones are refused with 503.</param>
public sealed record ServeOptions(
    string Host = "127.0.0.1", int Port = 8080, string? Token = null,
    long MaxRequestBytes = 32L << 20, long MaxSeriesBytes = 4L << 20, long MaxImagePixels = 50_000_000,
    int MaxBatch = 16, int MaxQueue = 256)
{
    /// <summary>Checks the settings; a bad one is a usage error naming it.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ClinFuseException(message, "`clinfuse serve --help` describes the options.", ExitCodes.Usage);
        }
        Require(Port is >= 0 and <= 65535, $"--port must be 0..65535, got {Port}.");
        Require(!string.IsNullOrWhiteSpace(Host), "--host must not be empty.");
        Require(Token is null || (Token.Length >= 8 && !Token.Any(char.IsWhiteSpace)), "--token must be at least 8 characters without spaces.");
        Require(MaxRequestBytes > 0 && MaxSeriesBytes > 0 && MaxImagePixels > 0, "Size limits must be positive.");
        Require(MaxBatch >= 1 && MaxQueue >= 1, "--max-batch and the queue must be at least 1.");
    }
}
