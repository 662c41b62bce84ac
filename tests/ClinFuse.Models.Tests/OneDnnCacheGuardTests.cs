using ClinFuse.Core;
using ClinFuse.Models;

namespace ClinFuse.Models.Tests;

/// <summary>
/// oneDNN sizes its convolution blocks to the CPU's caches. On CPUs whose cache-topology CPUID leaf is
/// empty it read one-byte caches, and ResNet-34's convolutions came out wrong or divided by zero; the
/// forward-parity and DrFuse tests are the behavioural proof, these pin the mechanism.
/// </summary>
public sealed class OneDnnCacheGuardTests
{
    public OneDnnCacheGuardTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    [Fact]
    public void The_libtorch_this_project_ships_is_a_build_the_guard_can_correct()
    {
        // A libtorch upgrade must bring its offsets along; otherwise such CPUs silently lose oneDNN.
        var id = ElfBuildId.Read(Path.Combine(AppContext.BaseDirectory, "libtorch_cpu.so"));
        Assert.NotNull(id);
        Assert.Contains(id, OneDnnCacheGuard.KnownBuilds.Select(b => b.BuildId));
    }

    [Fact]
    public void After_initialize_onednn_sees_caches_of_at_least_a_kibibyte_on_this_cpu()
    {
        var sizes = OneDnnCacheGuard.PerCoreCacheSizes();
        Assert.NotNull(sizes);
        Assert.Equal(3, sizes.Length);
        Assert.All(sizes, size => Assert.True(size >= 1024, $"per-core cache sizes {string.Join(", ", sizes)} bytes"));
        var caches = TorchRuntime.Probe(new ComputeSettings(2)).Caches;
        Assert.NotNull(caches);
        Assert.Equal(OneDnnCacheGuard.CpuidReportsCaches(), caches.CpuidReportsCaches);
        Assert.Equal(caches.CpuidReportsCaches ? OneDnnCacheAction.None : OneDnnCacheAction.DefaultSizes, caches.Action);
        if (caches.Action == OneDnnCacheAction.DefaultSizes)
            Assert.Equal([32u << 10, 512u << 10, 1u << 20], sizes);
    }

    [Fact]
    public void The_build_id_is_read_from_the_gnu_note_of_an_elf64_file()
    {
        using var dir = Fixtures.TempFolder();
        var id = Enumerable.Range(0, 20).Select(i => (byte)(0xA0 + i)).ToArray();
        string elf = Path.Combine(dir.Path, "lib.so");
        File.WriteAllBytes(elf, MinimalElf(("GNU", 3, id), ("GNU", 1, [1, 2, 3, 4])));
        Assert.Equal(Convert.ToHexStringLower(id), ElfBuildId.Read(elf));

        string otherNote = Path.Combine(dir.Path, "other.so");
        File.WriteAllBytes(otherNote, MinimalElf(("GNU", 1, [1, 2, 3, 4])));
        Assert.Null(ElfBuildId.Read(otherNote));

        // A note whose declared description runs past its segment is not read (no exception).
        var truncated = MinimalElf(("GNU", 3, id));
        BitConverter.GetBytes(int.MaxValue).CopyTo(truncated, 64 + 56 + 4); // n_descsz of the first note
        string bad = Path.Combine(dir.Path, "bad.so");
        File.WriteAllBytes(bad, truncated);
        Assert.Null(ElfBuildId.Read(bad));

        string text = Path.Combine(dir.Path, "text.so");
        File.WriteAllText(text, new string('x', 200));
        Assert.Null(ElfBuildId.Read(text));
        Assert.Null(ElfBuildId.Read(Path.Combine(dir.Path, "missing.so")));
        Assert.Null(OneDnnCacheGuard.KnownBuild(elf));
    }

    [Fact]
    public void A_library_that_is_not_loaded_has_no_load_base()
    {
        var (path, loadBase) = OneDnnCacheGuard.LoadedLibrary("libnot-a-library-clinfuse-loads.so");
        Assert.Null(path);
        Assert.Equal(0, loadBase);
        var (torchPath, torchBase) = OneDnnCacheGuard.LoadedLibrary("libtorch_cpu.so");
        Assert.EndsWith("/libtorch_cpu.so", torchPath);
        Assert.NotEqual(0, torchBase);
    }

    /// <summary>An ELF64 little-endian header, one PT_NOTE program header and the given notes.</summary>
    static byte[] MinimalElf(params (string Name, int Type, byte[] Description)[] notes)
    {
        using var notesStream = new MemoryStream();
        using (var w = new BinaryWriter(notesStream, System.Text.Encoding.ASCII, leaveOpen: true))
            foreach (var (name, type, description) in notes)
            {
                var nameBytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
                w.Write(nameBytes.Length);
                w.Write(description.Length);
                w.Write(type);
                w.Write(nameBytes);
                w.Write(new byte[(4 - nameBytes.Length % 4) % 4]);
                w.Write(description);
                w.Write(new byte[(4 - description.Length % 4) % 4]);
            }
        const int header = 64, programHeader = 56;
        using var file = new MemoryStream();
        using var e = new BinaryWriter(file);
        e.Write([0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        e.Write(new byte[8]);
        e.Write((ushort)3); // ET_DYN
        e.Write((ushort)62); // x86-64
        e.Write(1); // version
        e.Write(0L); // entry
        e.Write((long)header); // e_phoff
        e.Write(0L); // e_shoff
        e.Write(0); // flags
        e.Write((ushort)header);
        e.Write((ushort)programHeader);
        e.Write((ushort)1); // e_phnum
        e.Write((ushort)0);
        e.Write((ushort)0);
        e.Write((ushort)0);
        e.Write(4); // PT_NOTE
        e.Write(4); // PF_R
        e.Write((long)(header + programHeader)); // p_offset
        e.Write(0L);
        e.Write(0L);
        e.Write(notesStream.Length); // p_filesz
        e.Write(notesStream.Length);
        e.Write(4L);
        e.Write(notesStream.ToArray());
        return file.ToArray();
    }
}
