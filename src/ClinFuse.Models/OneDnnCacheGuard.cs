using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace ClinFuse.Models;

/// <summary>What oneDNN was told about this CPU's caches, and what <see cref="OneDnnCacheGuard"/> did.</summary>
/// <param name="CpuidReportsCaches">False when the CPU advertises a cache-topology CPUID leaf that holds only zeros.</param>
/// <param name="Action">What was done: nothing, oneDNN's default cache sizes, or oneDNN switched off.</param>
/// <param name="Description">One line for <c>clinfuse info</c>.</param>
public sealed record OneDnnCaches(bool CpuidReportsCaches, OneDnnCacheAction Action, string Description);

/// <summary>How <see cref="OneDnnCacheGuard"/> dealt with the CPU's caches.</summary>
public enum OneDnnCacheAction
{
    /// <summary>The CPU reports its caches; oneDNN uses them.</summary>
    None,
    /// <summary>oneDNN's own default cache sizes replace the one-byte caches it read.</summary>
    DefaultSizes,
    /// <summary>An unrecognised libtorch build on a CPU without cache sizes: libtorch's oneDNN kernels switched off (native ATen convolutions: slower, correct).</summary>
    OneDnnOff,
}

/// <summary>
/// Keeps libtorch's oneDNN convolutions correct on CPUs that advertise the cache-topology CPUID leaf
/// but fill it with zeros, as some hypervisors do for AMD guests (leaf 0x8000001D with TOPOEXT set).
/// The Xbyak CPU probe inside oneDNN 3.7.1 (libtorch 2.10) then records cache levels of one byte
/// each, and oneDNN's convolution heuristics, which size their blocks to the caches, pick degenerate
/// blockings: ResNet-34's layer-4 features come out wrong (max |diff| 4.7 against the reference) and
/// backward-data 1×1 convolutions divide by zero (SIGFPE, which ends the process). Capping oneDNN's
/// instruction set (ONEDNN_MAX_CPU_ISA) does not avoid it: at AVX2 the division still happens, at AVX
/// and SSE4.1 channels-last weight gradients come out 1.4 % off.
/// <para>
/// The remedy, when the loaded <c>libtorch_cpu.so</c> is the build ClinFuse ships (its GNU build ID)
/// and oneDNN reports a per-core L1 cache under 1 KiB: set the probe's count of cache levels to zero,
/// the state the probe itself leaves on a CPU that reports no topology at all, in which oneDNN uses its
/// built-in sizes (32 KiB L1, 512 KiB L2, 1 MiB L3 per core), the sizes the probe's callers fall back
/// to by design. (Measured on a 2-core AMD Zen 5 VM with this quirk: an attention-fusion train step
/// then takes 2.3–2.5 s and inference 0.47 s per batch of 16, against 2.1 s and 0.68 s with the
/// one-byte caches, whose results are wrong.) This must happen before the first
/// convolution primitive is created, which <see cref="TorchRuntime"/> guarantees. Any other libtorch
/// build on such a CPU runs without oneDNN (<c>at::Context::setUserEnabledMkldnn(false)</c>, PyTorch's
/// <c>torch.backends.mkldnn.enabled = False</c>): ATen's own convolutions, correct but about 3× slower.
/// </para>
/// </summary>
public static unsafe class OneDnnCacheGuard
{
    /// <summary>Where the symbols the remedy needs sit in one libtorch_cpu.so build (offsets from its load base).</summary>
    /// <param name="BuildId">The GNU build ID, lower-case hex.</param>
    /// <param name="CpuFunction"><c>dnnl::impl::cpu::x64::cpu()</c>: constructs and returns oneDNN's Xbyak CPU probe.</param>
    /// <param name="CpuObject">That probe, a function-local static.</param>
    /// <param name="CacheLevels">Offset inside the probe of its count of cache levels (uint32).</param>
    /// <param name="PerCoreCacheSize"><c>dnnl::impl::cpu::platform::get_per_core_cache_size(int)</c>.</param>
    internal sealed record Build(string BuildId, long CpuFunction, long CpuObject, int CacheLevels, long PerCoreCacheSize);

    /// <summary>libtorch 2.10.0 CPU (NuGet libtorch-cpu-linux-x64 2.10.0), oneDNN 3.7.1; read with <c>nm</c> and <c>gdb</c>.</summary>
    internal static readonly Build[] KnownBuilds =
    [
        new("e59a73f8ca02c19463bd923dc568ce765b2a1106", CpuFunction: 0xf89b1a0, CpuObject: 0x1585b180, CacheLevels: 108, PerCoreCacheSize: 0xfa22b40),
    ];

    /// <summary>
    /// After libtorch loads, before any convolution: on a CPU whose cache-topology leaf is empty, gives
    /// oneDNN its default cache sizes when the loaded build is known and oneDNN read one-byte caches,
    /// or switches oneDNN off when the build is unknown. Describes what it found and did.
    /// </summary>
    internal static OneDnnCaches AfterLoad()
    {
        if (CpuidReportsCaches()) return new(true, OneDnnCacheAction.None, "as the CPU reports them");
        // One look at /proc/self/maps and the library's build ID; the probe's address read back from
        // the probe function confirms the offsets before anything is written.
        var loaded = LoadedKnownBuild();
        byte* probe = null;
        if (loaded is { } found)
        {
            probe = (byte*)((delegate* unmanaged<nint>)(found.Base + found.Build.CpuFunction))();
            if (probe != (byte*)(found.Base + found.Build.CpuObject)) loaded = null;
        }
        if (loaded is not { } known)
        {
            LibTorchContext.MkldnnEnabled = false;
            return new(false, OneDnnCacheAction.OneDnnOff,
                "the CPU reports no cache sizes (CPUID leaf 0x8000001D is empty) and this libtorch build is not one ClinFuse can correct: oneDNN switched off (native convolutions, about 3x slower training)");
        }
        uint l1 = PerCoreCacheSizes(known)[0];
        if (l1 >= 1024) return new(false, OneDnnCacheAction.None, string.Create(CultureInfo.InvariantCulture, $"oneDNN found {l1 / 1024} KiB of L1 per core"));
        uint* levels = (uint*)(probe + known.Build.CacheLevels);
        uint read = *levels;
        *levels = 0;
        var sizes = string.Join(" / ", PerCoreCacheSizes(known).Select(Size));
        return new(false, OneDnnCacheAction.DefaultSizes,
            string.Create(CultureInfo.InvariantCulture, $"the CPU reports no cache sizes (CPUID leaf 0x8000001D is empty) and oneDNN read {read} levels of {l1} byte(s); using oneDNN's defaults, {sizes} per core"));
    }

    /// <summary>oneDNN's per-core L1, L2 and L3 sizes in bytes, as its convolutions see them; null unless a known build is loaded.</summary>
    internal static uint[]? PerCoreCacheSizes() => LoadedKnownBuild() is { } loaded ? PerCoreCacheSizes(loaded) : null;

    static uint[] PerCoreCacheSizes((Build Build, nint Base) loaded)
    {
        var perCore = (delegate* unmanaged<int, uint>)(loaded.Base + loaded.Build.PerCoreCacheSize);
        return [perCore(1), perCore(2), perCore(3)];
    }

    /// <summary>The loaded libtorch_cpu.so when it is a known build, with its load base.</summary>
    static (Build Build, nint Base)? LoadedKnownBuild()
    {
        var (path, loadBase) = LoadedLibrary("libtorch_cpu.so");
        return path is not null && loadBase != 0 && KnownBuild(path) is { } build ? (build, loadBase) : null;
    }

    static string Size(uint bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    /// <summary>
    /// False only on an AMD CPU that advertises CPUID leaf 0x8000001D (cache topology) but returns an
    /// empty first entry there; every other CPU, and every non-x86 machine, counts as reporting its caches.
    /// </summary>
    public static bool CpuidReportsCaches()
    {
        if (!X86Base.IsSupported) return true;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163; // "AuthenticAMD"
        if (!amd) return true;
        var (maxExtended, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
        if ((uint)maxExtended < 0x8000001D) return true;
        var (first, _, _, _) = X86Base.CpuId(unchecked((int)0x8000001D), 0);
        return (first & 0x1F) != 0; // cache type 0: "no more caches" at the first entry
    }

    /// <summary>The known build <paramref name="library"/> is, by its GNU build ID; null when unknown or unreadable.</summary>
    internal static Build? KnownBuild(string library)
    {
        var id = ElfBuildId.Read(library);
        return id is null ? null : KnownBuilds.FirstOrDefault(b => b.BuildId == id);
    }

    /// <summary>The path and load base (the mapping at file offset 0) of a loaded library, from /proc/self/maps.</summary>
    internal static (string? Path, nint Base) LoadedLibrary(string fileName)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 6 || Path.GetFileName(fields[5]) != fileName || fields[2].Trim('0').Length != 0) continue;
                return (fields[5], (nint)long.Parse(fields[0].Split('-')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return (null, 0);
    }
}

/// <summary>Reads the GNU build ID note of an ELF64 little-endian file.</summary>
internal static class ElfBuildId
{
    /// <summary>The build ID as lower-case hex, or null when the file is missing, not ELF64 or has none.</summary>
    public static string? Read(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var reader = new BinaryReader(file);
            if (file.Length < 64 || reader.ReadUInt32() != 0x464C457F || reader.ReadByte() != 2 || reader.ReadByte() != 1) return null;
            file.Position = 0x20;
            long programHeaders = reader.ReadInt64();
            file.Position = 0x36;
            int entrySize = reader.ReadUInt16(), count = reader.ReadUInt16();
            for (int i = 0; i < count; i++)
            {
                file.Position = programHeaders + (long)i * entrySize;
                if (reader.ReadUInt32() != 4) continue; // p_type PT_NOTE
                reader.ReadUInt32(); // p_flags
                long offset = reader.ReadInt64(); // p_offset
                reader.ReadInt64(); // p_vaddr
                reader.ReadInt64(); // p_paddr
                long size = reader.ReadInt64(); // p_filesz
                if (FindBuildId(reader, offset, size) is { } id) return id;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    static string? FindBuildId(BinaryReader reader, long offset, long size)
    {
        var file = reader.BaseStream;
        long end = offset + size;
        file.Position = offset;
        while (file.Position + 12 <= end)
        {
            int nameSize = reader.ReadInt32(), descriptionSize = reader.ReadInt32(), type = reader.ReadInt32();
            if (nameSize < 0 || descriptionSize < 0 || file.Position + nameSize + descriptionSize > end) return null; // not a well-formed note
            var name = reader.ReadBytes((nameSize + 3) & ~3);
            var description = reader.ReadBytes((descriptionSize + 3) & ~3);
            if (type == 3 && nameSize == 4 && name[0] == 'G' && name[1] == 'N' && name[2] == 'U')
                return Convert.ToHexStringLower(description, 0, descriptionSize);
        }
        return null;
    }
}
