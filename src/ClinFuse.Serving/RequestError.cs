namespace ClinFuse.Serving;

/// <summary>A request the service refuses: the HTTP status and a one-line message for the client.</summary>
internal sealed class RequestError(int status, string message) : Exception(OneLine(message))
{
    /// <summary>The 4xx (or 503) status.</summary>
    public int Status { get; } = status;

    /// <summary>The first line of <paramref name="message"/>, without trailing spaces.</summary>
    public static string OneLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }
}
