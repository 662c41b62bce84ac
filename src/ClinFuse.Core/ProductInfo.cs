using System.Reflection;

namespace ClinFuse.Core;

/// <summary>Version facts recorded in manifests, checkpoints and reports.</summary>
public static class ProductInfo
{
    /// <summary>The product version (informational version without build metadata).</summary>
    public static string Version { get; } = ReadVersion();

    /// <summary>The .NET runtime this process runs on, e.g. ".NET 10.0.12".</summary>
    public static string Runtime => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    static string ReadVersion()
    {
        var info = typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = info.IndexOf('+');
        return plus < 0 ? info : info[..plus];
    }
}
