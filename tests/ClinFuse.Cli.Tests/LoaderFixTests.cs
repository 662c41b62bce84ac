namespace ClinFuse.Cli.Tests;

/// <summary>The build's libLibTorchSharp.so edit: applied once, then a no-op.</summary>
public sealed class LoaderFixTests
{
    static string PackagedLibrary()
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's native library is not in the package cache at {path}");
        return path;
    }

    [Fact]
    public void Patch_is_applied_once_then_is_a_no_op_and_keeps_the_file_size()
    {
        var original = File.ReadAllBytes(PackagedLibrary());
        var copy = (byte[])original.Clone();

        Assert.Equal(LibTorchSharpElfPatch.Outcome.Patched, LibTorchSharpElfPatch.Patch(copy));
        var once = (byte[])copy.Clone();
        Assert.Equal(LibTorchSharpElfPatch.Outcome.AlreadyPatched, LibTorchSharpElfPatch.Patch(copy));
        Assert.Equal(once, copy);
        Assert.Equal(original.Length, copy.Length);

        // Only the symbol name, one version index and one flag word change.
        int changed = original.Zip(copy).Count(p => p.First != p.Second);
        Assert.InRange(changed, 3, "_ZSt21ios_base_library_initv".Length + 4);
    }

    [Fact]
    public void Build_output_library_is_patched_exactly_when_the_system_needs_it()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"));
        var expected = LibTorchSharpElfPatch.SystemHasGlibcxx332()
            ? LibTorchSharpElfPatch.Outcome.Patched          // the build left the pristine copy alone
            : LibTorchSharpElfPatch.Outcome.AlreadyPatched;  // the build patched it
        Assert.Equal(expected, LibTorchSharpElfPatch.Patch(bytes));
    }

    [Fact]
    public void PatchFile_is_a_no_op_when_the_system_provides_the_version()
    {
        var dir = Directory.CreateTempSubdirectory("clinfuse-loaderfix-");
        try
        {
            var path = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.Copy(PackagedLibrary(), path);
            var before = File.ReadAllBytes(path);
            Assert.Equal(LibTorchSharpElfPatch.Outcome.SystemProvidesVersion, LibTorchSharpElfPatch.PatchFile(path, systemHasVersion: true));
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(LibTorchSharpElfPatch.Outcome.Patched, LibTorchSharpElfPatch.PatchFile(path, systemHasVersion: false));
            Assert.Equal(LibTorchSharpElfPatch.Outcome.AlreadyPatched, LibTorchSharpElfPatch.PatchFile(path, systemHasVersion: false));
            Assert.False(File.Exists(path + ".patching"));
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void A_file_that_is_not_elf_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => LibTorchSharpElfPatch.Patch(new byte[128]));
    }
}
