using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Resolves <c>#r</c> for notebooks: <c>nuget:</c> references through <see cref="NuGetRestorer"/> (via a callback into
/// the engine, which restores the session's whole package set), file references relative to the notebook, and in
/// both cases the engine's own copy of an assembly when it has one of the same simple name.
/// </summary>
internal sealed class CourseReferenceResolver : MetadataReferenceResolver
{
    private readonly ScriptMetadataResolver _files;
    private readonly Func<string, ImmutableArray<PortableExecutableReference>> _nuget;

    public CourseReferenceResolver(string baseDirectory, Func<string, ImmutableArray<PortableExecutableReference>> nuget)
    {
        _files = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory);
        _nuget = nuget;
    }

    public override bool ResolveMissingAssemblies => _files.ResolveMissingAssemblies;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath,
        MetadataReferenceProperties properties)
    {
        if (reference.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
            return _nuget(reference["nuget:".Length..].Trim());

        var resolved = _files.ResolveReference(reference, baseFilePath, properties);
        if (resolved.IsDefaultOrEmpty) return resolved;
        return resolved.Select(r => r.FilePath is { } path && LoadedAssemblies.PreferEngineCopy(path) is var engine && engine != path
                ? MetadataReference.CreateFromFile(engine, properties)
                : r)
            .ToImmutableArray();
    }

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity)
    {
        string? engine = LoadedAssemblies.FindEnginePath(referenceIdentity.Name);
        return engine is not null ? MetadataReference.CreateFromFile(engine) : _files.ResolveMissingAssembly(definition, referenceIdentity);
    }

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}
