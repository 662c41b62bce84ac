using System.Reflection;

namespace ClinFuse.Tests.Shared;

/// <summary>Paths of the fixtures shipped under tests/fixtures, and scratch folders for tests.</summary>
public static class Fixtures
{
    /// <summary>The tests/fixtures folder of this checkout.</summary>
    public static string Root { get; } = Assembly.GetExecutingAssembly()
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ClinFuseFixtures").Value!;

    /// <summary>A path under tests/fixtures; fails the test with a clear message when it is missing.</summary>
    public static string Path(params string[] parts)
    {
        var path = System.IO.Path.Combine([Root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"Test fixture missing: {path}");
        return path;
    }

    /// <summary>A new empty folder that is deleted when disposed.</summary>
    public static TempFolder TempFolder(string prefix = "clinfuse-test-") => new(Directory.CreateTempSubdirectory(prefix).FullName);
}

/// <summary>A scratch folder owned by one test.</summary>
public sealed class TempFolder(string path) : IDisposable
{
    public string Path { get; } = path;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
