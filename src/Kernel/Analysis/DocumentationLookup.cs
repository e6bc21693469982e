using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace ModelSecurity.Kernel.Analysis;

/// <summary>
/// XML documentation of symbols as plain text: from the source (cells) or from the XML file beside a referenced
/// assembly (the course's own libraries); for the framework, from the SDK's reference pack
/// (<c>packs/Microsoft.NETCore.App.Ref/&lt;version&gt;/ref/net10.0/*.xml</c>), since the runtime folder has none.
/// </summary>
internal sealed partial class DocumentationLookup
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _files = new(StringComparer.Ordinal);
    private readonly Lazy<string?> _referencePack = new(FindReferencePack);

    /// <summary>The documentation XML of <paramref name="symbol"/> (a <c>&lt;member&gt;</c> element's content), or null.</summary>
    public string? XmlFor(ISymbol symbol, Compilation compilation)
    {
        symbol = symbol switch
        {
            IMethodSymbol { ReducedFrom: { } original } => original,
            _ => symbol.OriginalDefinition,
        };
        string? own = symbol.GetDocumentationCommentXml();
        if (!string.IsNullOrWhiteSpace(own)) return own;
        string? id = symbol.GetDocumentationCommentId();
        if (id is null || symbol.ContainingAssembly is not { } assembly) return null;
        foreach (string file in CandidateFiles(assembly, compilation))
            if (Load(file).TryGetValue(id, out string? xml)) return xml;
        return null;
    }

    /// <summary>Summary (and, with <paramref name="detailed"/>, parameters, returns and remarks) as plain text.</summary>
    public static string ToText(string? xml, bool detailed)
    {
        if (string.IsNullOrWhiteSpace(xml)) return "";
        XElement root;
        try
        {
            root = XElement.Parse(xml.TrimStart().StartsWith("<member", StringComparison.Ordinal) ? xml : $"<member>{xml}</member>");
        }
        catch (XmlException)
        {
            return "";
        }
        var text = new StringBuilder();
        Append(text, root.Element("summary"));
        if (detailed)
        {
            foreach (var parameter in root.Elements("param"))
                Append(text, parameter, $"{(string?)parameter.Attribute("name")}: ");
            Append(text, root.Element("returns"), "Returns: ");
            Append(text, root.Element("remarks"));
        }
        return text.ToString().TrimEnd();
    }

    private static void Append(StringBuilder text, XElement? element, string label = "")
    {
        if (element is null) return;
        string content = Whitespace().Replace(Plain(element), " ").Trim();
        if (content.Length > 0) text.Append(label).Append(content).Append('\n');
    }

    private static string Plain(XElement element)
    {
        var text = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText t:
                    text.Append(t.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } e:
                    string? reference = (string?)e.Attribute("cref") ?? (string?)e.Attribute("langword") ?? (string?)e.Attribute("href");
                    text.Append(e.Value.Length > 0 ? e.Value : ShortName(reference ?? ""));
                    break;
                case XElement { Name.LocalName: "paramref" or "typeparamref" } e:
                    text.Append((string?)e.Attribute("name"));
                    break;
                case XElement { Name.LocalName: "para" or "br" } e:
                    text.Append(' ').Append(Plain(e)).Append(' ');
                    break;
                case XElement e:
                    text.Append(Plain(e));
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary><c>M:System.Console.WriteLine(System.String)</c> → <c>Console.WriteLine</c>.</summary>
    private static string ShortName(string cref)
    {
        string name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        int paren = name.IndexOf('(');
        if (paren >= 0) name = name[..paren];
        string[] parts = name.Split('.');
        name = parts.Length >= 2 ? parts[^2] + "." + parts[^1] : name;
        return name.Replace("`1", "<T>", StringComparison.Ordinal).Replace("`2", "<T1,T2>", StringComparison.Ordinal);
    }

    private IEnumerable<string> CandidateFiles(IAssemblySymbol assembly, Compilation compilation)
    {
        string? path = (compilation.GetMetadataReference(assembly) as PortableExecutableReference)?.FilePath;
        if (path is not null)
        {
            string beside = Path.ChangeExtension(path, ".xml");
            if (File.Exists(beside)) yield return beside;
        }
        if (_referencePack.Value is not { } pack) yield break;
        string name = assembly.Name;
        string own = Path.Combine(pack, name + ".xml");
        if (File.Exists(own)) yield return own;
        if (name is "System.Private.CoreLib" or "System.Runtime" or "netstandard" or "mscorlib" || !File.Exists(own))
        {
            // CoreLib's types are documented in the reference assemblies that forward to it.
            foreach (string common in new[] { "System.Runtime", "System.Collections", "System.Runtime.InteropServices", "System.Threading", "System.Memory" })
                if (common != name && File.Exists(Path.Combine(pack, common + ".xml"))) yield return Path.Combine(pack, common + ".xml");
            foreach (string file in Directory.EnumerateFiles(pack, "*.xml").Order(StringComparer.Ordinal))
                yield return file;
        }
    }

    private IReadOnlyDictionary<string, string> Load(string file) => _files.GetOrAdd(file, static path =>
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true });
            while (reader.ReadToFollowing("member"))
            {
                string? name = reader.GetAttribute("name");
                string xml = reader.ReadOuterXml();
                if (name is not null) members.TryAdd(name, xml);
            }
        }
        catch (Exception e) when (e is IOException or XmlException or UnauthorizedAccessException)
        {
            // no documentation from this file
        }
        return members;
    });

    /// <summary>The SDK's reference pack folder for this runtime (same version, else the newest of the same major.minor), or null.</summary>
    private static string? FindReferencePack()
    {
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!; // …/shared/Microsoft.NETCore.App/10.0.x
        string version = Path.GetFileName(runtimeDir);
        string? root = Directory.GetParent(runtimeDir)?.Parent?.Parent?.FullName;
        if (root is null) return null;
        string packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs)) return null;
        string tfm = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        var candidates = Directory.EnumerateDirectories(packs)
            .OrderByDescending(d => Path.GetFileName(d) == version)
            .ThenByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version(0, 0));
        foreach (string dir in candidates)
        {
            string refDir = Path.Combine(dir, "ref", tfm);
            if (Directory.Exists(refDir)) return refDir;
        }
        return null;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
