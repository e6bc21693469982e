// Makes TorchSharp's native bridge (libLibTorchSharp.so) loadable on Linux distributions whose
// libstdc++ is older than the GCC 13 one it was linked against (Debian 12 ships GCC 12's).
//
// Why this is safe: the library asks for symbol version GLIBCXX_3.4.32 only for
// std::ios_base_library_init(), a symbol GCC 13's <iostream> merely references to force the
// library's stream initialisation; GCC 12's libstdc++ initialises its streams unconditionally.
// Marking that one version requirement weak (VER_FLG_WEAK in .gnu.version_r) lets the dynamic
// loader accept the older libstdc++. The patch refuses to act if any other symbol is bound to
// that version, and does nothing where the system libstdc++ already provides the version.
//
// This file is compiled twice, from this one source: by MSBuild as an inline task
// (environment/native/TorchSharpNative.targets) and by the test project (COURSE_TESTS defined).
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

/// <summary>Outcome of <see cref="LibStdCxxCompat.MakeLoadable"/>.</summary>
public sealed class LibStdCxxPatchResult
{
    /// <summary>Creates a result.</summary>
    public LibStdCxxPatchResult(string path, bool changed, string reason)
    {
        Path = path;
        Changed = changed;
        Reason = reason;
    }

    /// <summary>The library that was examined.</summary>
    public string Path { get; }

    /// <summary>True when the file was rewritten.</summary>
    public bool Changed { get; }

    /// <summary>Why the file was or was not changed, in words for a build log.</summary>
    public string Reason { get; }

    /// <inheritdoc />
    public override string ToString() => (Changed ? "patched " : "left unchanged ") + Path + ": " + Reason;
}

/// <summary>Marks the GLIBCXX_3.4.32 version requirement of an ELF64 library weak when safe and needed.</summary>
public static class LibStdCxxCompat
{
    /// <summary>The version requirement GCC 13 adds and GCC 12's libstdc++ lacks.</summary>
    public const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>Symbols that may be bound to <see cref="MissingVersion"/> for the patch to be safe.</summary>
    public static readonly string[] SafeSymbols = { "_ZSt21ios_base_library_initv" };

    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlagWeak = 0x2;

    private static readonly string[] SystemLibStdCxxCandidates =
    {
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    /// <summary>The first libstdc++.so.6 found in the usual system locations, or null.</summary>
    public static string? FindSystemLibStdCxx() => SystemLibStdCxxCandidates.FirstOrDefault(File.Exists);

    /// <summary>
    /// Patches <paramref name="libraryPath"/> in place (through a temporary file, so a hard link into
    /// the NuGet cache is never modified) when it needs <see cref="MissingVersion"/> and the system
    /// libstdc++ at <paramref name="systemLibStdCxx"/> (default: found automatically) lacks it.
    /// </summary>
    public static LibStdCxxPatchResult MakeLoadable(string libraryPath, string? systemLibStdCxx = null)
    {
        if (!File.Exists(libraryPath))
            throw new FileNotFoundException("Native library not found: " + libraryPath, libraryPath);

        systemLibStdCxx ??= FindSystemLibStdCxx();
        if (systemLibStdCxx == null)
            return new LibStdCxxPatchResult(libraryPath, false, "no system libstdc++.so.6 found (not a glibc Linux system)");
        if (ContainsAscii(File.ReadAllBytes(systemLibStdCxx), MissingVersion))
            return new LibStdCxxPatchResult(libraryPath, false, systemLibStdCxx + " provides " + MissingVersion + "; nothing to do");

        byte[] image = File.ReadAllBytes(libraryPath);
        var elf = new Elf64(image, libraryPath);
        VersionNeed? need = elf.VersionNeeds().FirstOrDefault(n => n.Name == MissingVersion);
        if (need == null)
            return new LibStdCxxPatchResult(libraryPath, false, "does not require " + MissingVersion);
        if ((need.Flags & VerFlagWeak) != 0)
            return new LibStdCxxPatchResult(libraryPath, false, MissingVersion + " is already weak");

        string[] bound = elf.SymbolsBoundToVersion(need.Index).ToArray();
        string[] unsafeSymbols = bound.Where(s => !SafeSymbols.Contains(s)).Distinct().ToArray();
        if (unsafeSymbols.Length > 0)
            return new LibStdCxxPatchResult(libraryPath, false,
                "refused: symbols other than std::ios_base_library_init need " + MissingVersion + " (" +
                string.Join(", ", unsafeSymbols) + "); install a newer libstdc++ (GCC 13+) instead");

        PatchFile(libraryPath, need.FlagsOffset, (ushort)(need.Flags | VerFlagWeak));
        return new LibStdCxxPatchResult(libraryPath, true,
            "marked " + MissingVersion + " weak (system libstdc++ " + systemLibStdCxx + " lacks it; only " +
            string.Join(", ", bound.Distinct()) + " uses it)");
    }

    /// <summary>Reads the flags of the version requirement <paramref name="versionName"/>, or null if absent.</summary>
    public static ushort? VersionNeedFlags(string libraryPath, string versionName)
    {
        var elf = new Elf64(File.ReadAllBytes(libraryPath), libraryPath);
        return elf.VersionNeeds().FirstOrDefault(n => n.Name == versionName)?.Flags;
    }

    // Patches a copy and moves it over the original: a hard link into the NuGet cache is never written
    // through, and File.Copy keeps the file's permissions. (Only netstandard2.0 APIs: MSBuild compiles this.)
    private static void PatchFile(string path, long offset, ushort value)
    {
        string temporary = path + ".patching";
        File.Copy(path, temporary, true);
        using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
        {
            stream.Position = offset;
            stream.Write(BitConverter.GetBytes(value), 0, 2);
        }
        File.Delete(path);
        File.Move(temporary, path);
    }

    private static bool ContainsAscii(byte[] haystack, string needle)
    {
        byte[] pattern = Encoding.ASCII.GetBytes(needle + "\0");
        for (int i = 0; i + pattern.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < pattern.Length && haystack[i + j] == pattern[j]) j++;
            if (j == pattern.Length) return true;
        }
        return false;
    }

    private static ushort ReadUInt16(byte[] b, long at) => BitConverter.ToUInt16(b, checked((int)at));
    private static uint ReadUInt32(byte[] b, long at) => BitConverter.ToUInt32(b, checked((int)at));
    private static ulong ReadUInt64(byte[] b, long at) => BitConverter.ToUInt64(b, checked((int)at));

    private sealed class VersionNeed
    {
        public VersionNeed(string name, ushort flags, ushort index, long flagsOffset)
        {
            Name = name;
            Flags = flags;
            Index = index;
            FlagsOffset = flagsOffset;
        }

        public string Name { get; }
        public ushort Flags { get; }
        public ushort Index { get; }
        public long FlagsOffset { get; }
    }

    private sealed class Section
    {
        public uint Type;
        public ulong Offset;
        public ulong Size;
        public uint Link;
        public uint Info;
        public ulong EntrySize;
    }

    /// <summary>Just enough of a little-endian ELF64 reader for version requirements and dynamic symbols.</summary>
    private sealed class Elf64
    {
        private readonly byte[] _image;
        private readonly string _path;
        private readonly List<Section> _sections = new();

        public Elf64(byte[] image, string path)
        {
            _image = image;
            _path = path;
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw Invalid("not an ELF file");
            if (image[4] != 2 || image[5] != 1)
                throw Invalid("only little-endian 64-bit ELF is supported");
            ulong sectionTable = ReadUInt64(image, 0x28);
            ushort entrySize = ReadUInt16(image, 0x3A);
            ushort count = ReadUInt16(image, 0x3C);
            if (entrySize < 64 || sectionTable + (ulong)entrySize * count > (ulong)image.Length)
                throw Invalid("section header table lies outside the file (truncated?)");
            for (int i = 0; i < count; i++)
            {
                long at = (long)sectionTable + (long)i * entrySize;
                _sections.Add(new Section
                {
                    Type = ReadUInt32(image, at + 4),
                    Offset = ReadUInt64(image, at + 24),
                    Size = ReadUInt64(image, at + 32),
                    Link = ReadUInt32(image, at + 40),
                    Info = ReadUInt32(image, at + 44),
                    EntrySize = ReadUInt64(image, at + 56),
                });
            }
        }

        public IEnumerable<VersionNeed> VersionNeeds()
        {
            Section? verneed = _sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
            if (verneed == null) yield break;
            Section strings = _sections[(int)verneed.Link];
            long entry = (long)verneed.Offset;
            for (uint i = 0; i < verneed.Info; i++)
            {
                ushort auxCount = ReadUInt16(_image, entry + 2);
                long aux = entry + ReadUInt32(_image, entry + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    ushort flags = ReadUInt16(_image, aux + 4);
                    ushort index = ReadUInt16(_image, aux + 6);
                    string name = ReadString(strings, ReadUInt32(_image, aux + 8));
                    yield return new VersionNeed(name, flags, index, aux + 4);
                    uint nextAux = ReadUInt32(_image, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = ReadUInt32(_image, entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }

        public IEnumerable<string> SymbolsBoundToVersion(ushort versionIndex)
        {
            Section? symbols = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
            Section? versions = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
            if (symbols == null || versions == null || symbols.EntrySize == 0)
                throw Invalid("has version requirements but no .dynsym/.gnu.version sections");
            Section strings = _sections[(int)symbols.Link];
            ulong count = symbols.Size / symbols.EntrySize;
            for (ulong i = 0; i < count; i++)
            {
                ushort version = (ushort)(ReadUInt16(_image, (long)(versions.Offset + 2 * i)) & 0x7fff);
                if (version != versionIndex) continue;
                uint nameOffset = ReadUInt32(_image, (long)(symbols.Offset + i * symbols.EntrySize));
                yield return ReadString(strings, nameOffset);
            }
        }

        private string ReadString(Section table, uint offset)
        {
            long start = (long)table.Offset + offset;
            long end = start;
            while (end < _image.Length && _image[end] != 0) end++;
            return Encoding.ASCII.GetString(_image, (int)start, (int)(end - start));
        }

        private InvalidDataException Invalid(string what) => new InvalidDataException(_path + ": " + what);
    }
}

#if !COURSE_TESTS
/// <summary>MSBuild task: applies <see cref="LibStdCxxCompat.MakeLoadable"/> to each library given.</summary>
public sealed class MarkLibStdCxxVersionWeak : Microsoft.Build.Utilities.Task
{
    /// <summary>Native libraries to examine (libLibTorchSharp.so copies in an output folder).</summary>
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    /// <inheritdoc />
    public override bool Execute()
    {
        foreach (var library in Libraries)
        {
            try
            {
                var result = LibStdCxxCompat.MakeLoadable(library.ItemSpec);
                Log.LogMessage(result.Changed ? Microsoft.Build.Framework.MessageImportance.High
                                              : Microsoft.Build.Framework.MessageImportance.Low,
                               "TorchSharp native fix: " + result);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is InvalidDataException)
            {
                Log.LogWarning("TorchSharp native fix could not examine " + library.ItemSpec + ": " + e.Message +
                               ". See environment/README.md (\"TorchSharp on older Linux\").");
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif
