namespace ModelSecurity.Cli;

/// <summary>An option a command accepts.</summary>
/// <param name="Name">Long name without dashes, e.g. <c>output</c>.</param>
/// <param name="TakesValue">True for <c>--name VALUE</c>, false for a flag.</param>
/// <param name="Short">Optional one-letter alias, e.g. <c>o</c>.</param>
public sealed record OptionSpec(string Name, bool TakesValue, string? Short = null);

/// <summary>Parsed command-line arguments: positionals, flags and (repeatable) option values.</summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    /// <summary>Arguments that are not options.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>True when <c>--help</c> or <c>-h</c> was given.</summary>
    public bool HelpRequested { get; private set; }

    /// <summary>Parses <paramref name="args"/> against <paramref name="options"/>.</summary>
    /// <exception cref="UsageException">Unknown option or missing value.</exception>
    public static ParsedArgs Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> options)
    {
        var parsed = new ParsedArgs();
        bool onlyPositionals = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (onlyPositionals || arg == "-" || !arg.StartsWith('-')) { parsed.Positionals.Add(arg); continue; }
            if (arg == "--") { onlyPositionals = true; continue; }
            if (arg is "--help" or "-h" or "-?") { parsed.HelpRequested = true; continue; }
            string name;
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[2..];
                int eq = name.IndexOf('=');
                if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            }
            else name = arg[1..];
            var spec = options.FirstOrDefault(o => o.Name == name || o.Short == name)
                       ?? throw new UsageException($"unknown option '{arg}'");
            if (!spec.TakesValue)
            {
                if (inline is not null) throw new UsageException($"option '--{spec.Name}' takes no value");
                parsed._flags.Add(spec.Name);
                continue;
            }
            string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"option '--{spec.Name}' needs a value"));
            if (!parsed._values.TryGetValue(spec.Name, out var list)) parsed._values[spec.Name] = list = [];
            list.Add(value);
        }
        return parsed;
    }

    /// <summary>True when the flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The last value of an option, or null.</summary>
    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    /// <summary>All values of a repeatable option.</summary>
    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    /// <summary>A positive number of seconds (0 allowed when <paramref name="zeroMeansNone"/>).</summary>
    /// <exception cref="UsageException">Not a number.</exception>
    public TimeSpan? Seconds(string name, double defaultSeconds, bool zeroMeansNone = true)
    {
        string? text = Value(name);
        if (text is null) return TimeSpan.FromSeconds(defaultSeconds);
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double s) || s < 0 || double.IsNaN(s))
            throw new UsageException($"--{name} needs a number of seconds, not '{text}'");
        if (s == 0 && zeroMeansNone) return null;
        return TimeSpan.FromSeconds(s);
    }

    /// <summary>Exactly one positional argument.</summary>
    /// <exception cref="UsageException">None or several.</exception>
    public string SinglePositional(string what)
    {
        if (Positionals.Count == 0) throw new UsageException($"missing {what}");
        if (Positionals.Count > 1) throw new UsageException($"expected one {what}, got: {string.Join(" ", Positionals)}");
        return Positionals[0];
    }
}
