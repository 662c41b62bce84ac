// Makes TorchSharp 0.107.0's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13
// (Debian 12 ships GCC 12). The library references one symbol, std::ios_base_library_init(), under
// version GLIBCXX_3.4.32. This edits the build-output copy (never the NuGet cache):
//   1. renames that undefined symbol in .dynstr to an existing libstdc++ symbol that is not longer
//      (std::get_new_handler(), GLIBCXX_3.4.20; GCC 12 runs the iostream initialisation anyway);
//   2. points the symbol's .gnu.version entry at the library's GLIBCXX_3.4.20 requirement;
//   3. marks the GLIBCXX_3.4.32 requirement weak, so the loader no longer rejects the file.
// Idempotent. A no-op when the library has no GLIBCXX_3.4.32 requirement or when the system
// libstdc++ already provides that version.
//
// Compiled twice: by MSBuild's RoslynCodeTaskFactory as the PatchLibTorchSharp task (see
// LibTorchSharpLoaderFix.targets), and into the tests with CLINFUSE_PATCHER_ONLY defined. The task
// factory compiles against .NET Standard 2.0, hence no spans or BinaryPrimitives here.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

#if !CLINFUSE_PATCHER_ONLY
public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public string Library { get; set; } = "";

    public override bool Execute()
    {
        try
        {
            var outcome = LibTorchSharpElfPatch.PatchFile(Library, LibTorchSharpElfPatch.SystemHasGlibcxx332());
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, Library + ": " + outcome);
            return true;
        }
        catch (Exception e)
        {
            Log.LogError("Could not apply the libtorch loader fix to " + Library + ": " + e.Message);
            return false;
        }
    }
}
#endif

/// <summary>ELF64 edit that lets libLibTorchSharp.so load against GCC 12's libstdc++.</summary>
public static class LibTorchSharpElfPatch
{
    const string OldSymbol = "_ZSt21ios_base_library_initv";
    const string NewSymbol = "_ZSt15get_new_handlerv";
    const string WeakVersion = "GLIBCXX_3.4.32";
    const string TargetVersion = "GLIBCXX_3.4.20";
    const uint ShtDynsym = 11, ShtGnuVersym = 0x6FFFFFFF, ShtGnuVerneed = 0x6FFFFFFE;
    const ushort VerFlgWeak = 0x2;

    /// <summary>What <see cref="PatchFile"/> did.</summary>
    public enum Outcome { Patched, AlreadyPatched, NotNeeded, SystemProvidesVersion }

    /// <summary>True when a system libstdc++ already defines GLIBCXX_3.4.32 (GCC 13 or newer).</summary>
    public static bool SystemHasGlibcxx332()
    {
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" })
        {
            var path = Path.Combine(dir, "libstdc++.so.6");
            if (!File.Exists(path)) continue;
            var bytes = File.ReadAllBytes(path);
            return Contains(bytes, Encoding.ASCII.GetBytes(WeakVersion + "\0"));
        }
        return false;
    }

    /// <summary>Patches the file in place (through a temporary file and a rename).</summary>
    public static Outcome PatchFile(string path, bool systemHasVersion)
    {
        if (systemHasVersion) return Outcome.SystemProvidesVersion;
        var data = File.ReadAllBytes(path);
        var outcome = Patch(data);
        if (outcome != Outcome.Patched) return outcome;
        var tmp = path + ".patching";
        File.Copy(path, tmp, true);      // keeps the file mode
        File.WriteAllBytes(tmp, data);
        File.Replace(tmp, path, null);   // a rename: also breaks any hard link into a package cache
        return outcome;
    }

    /// <summary>Patches an in-memory copy of the library.</summary>
    public static Outcome Patch(byte[] data)
    {
        if (data.Length < 64 || data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F'
            || data[4] != 2 || data[5] != 1)
            throw new InvalidDataException("not an ELF64 little-endian file");
        long shoff = (long)U64(data, 0x28);
        int shentsize = U16(data, 0x3A);
        int shnum = U16(data, 0x3C);
        var sections = new List<Section>();
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            sections.Add(new Section(U32(data, sh + 4), (long)U64(data, sh + 0x18), (long)U64(data, sh + 0x20), (int)U32(data, sh + 0x28)));
        }
        var dynsym = Find(sections, ShtDynsym);
        var versym = Find(sections, ShtGnuVersym);
        var verneed = Find(sections, ShtGnuVerneed);
        long dynstr = sections[dynsym.Link].Offset;
        long verstr = sections[verneed.Link].Offset;

        // Version requirements: name -> (vna_other, offset of the vernaux entry, vna_flags).
        var requirements = new Dictionary<string, Requirement>();
        long vn = verneed.Offset;
        while (true)
        {
            int count = U16(data, vn + 2);
            long va = vn + U32(data, vn + 8);
            for (int i = 0; i < count; i++)
            {
                requirements[CString(data, verstr + U32(data, va + 8))] = new Requirement(U16(data, va + 6), va, U16(data, va + 4));
                uint next = U32(data, va + 12);
                if (next == 0) break;
                va += next;
            }
            uint nextNeed = U32(data, vn + 12);
            if (nextNeed == 0) break;
            vn += nextNeed;
        }
        if (!requirements.TryGetValue(WeakVersion, out var weak)) return Outcome.NotNeeded;
        if (!requirements.TryGetValue(TargetVersion, out var target))
            throw new InvalidDataException("no " + TargetVersion + " requirement to retarget to");

        bool changed = false;
        var newName = Encoding.ASCII.GetBytes(NewSymbol);
        long symbols = dynsym.Size / 24;
        for (long i = 0; i < symbols; i++)
        {
            long at = dynstr + U32(data, dynsym.Offset + i * 24);
            if (CString(data, at) != OldSymbol) continue;
            Array.Clear(data, (int)at, OldSymbol.Length);
            Array.Copy(newName, 0, data, at, newName.Length);
            W16(data, versym.Offset + 2 * i, target.Other);
            changed = true;
        }
        if ((weak.Flags & VerFlgWeak) == 0)
        {
            W16(data, weak.At + 4, (ushort)(weak.Flags | VerFlgWeak));
            changed = true;
        }
        return changed ? Outcome.Patched : Outcome.AlreadyPatched;
    }

    sealed class Section
    {
        public Section(uint type, long offset, long size, int link) { Type = type; Offset = offset; Size = size; Link = link; }
        public uint Type { get; }
        public long Offset { get; }
        public long Size { get; }
        public int Link { get; }
    }

    sealed class Requirement
    {
        public Requirement(ushort other, long at, ushort flags) { Other = other; At = at; Flags = flags; }
        public ushort Other { get; }
        public long At { get; }
        public ushort Flags { get; }
    }

    static Section Find(List<Section> sections, uint type)
    {
        foreach (var s in sections) if (s.Type == type) return s;
        throw new InvalidDataException("ELF section of type 0x" + type.ToString("X") + " not found");
    }

    static ushort U16(byte[] d, long at) => (ushort)(d[at] | d[at + 1] << 8);
    static uint U32(byte[] d, long at) => (uint)(d[at] | d[at + 1] << 8 | d[at + 2] << 16 | d[at + 3] << 24);
    static ulong U64(byte[] d, long at) => U32(d, at) | (ulong)U32(d, at + 4) << 32;
    static void W16(byte[] d, long at, ushort v) { d[at] = (byte)v; d[at + 1] = (byte)(v >> 8); }

    static string CString(byte[] data, long at)
    {
        int end = Array.IndexOf(data, (byte)0, (int)at);
        return Encoding.ASCII.GetString(data, (int)at, end - (int)at);
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
