using System.Text;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Routes <see cref="Console.Out"/> and <see cref="Console.Error"/>: text written by a running cell becomes its
/// <c>stream</c> output; anything else goes to the original console. Installed once per process.
/// Native code writing straight to file descriptors 1 and 2 (e.g. libtorch warnings) is not captured.
/// </summary>
public static class ConsoleCapture
{
    private static readonly object Gate = new();
    private static TextWriter? _originalOut;
    private static TextWriter? _originalError;

    /// <summary>The console's standard output as it was before capture was installed.</summary>
    public static TextWriter OriginalOut
    {
        get { EnsureInstalled(); return _originalOut!; }
    }

    /// <summary>The console's standard error as it was before capture was installed.</summary>
    public static TextWriter OriginalError
    {
        get { EnsureInstalled(); return _originalError!; }
    }

    /// <summary>Installs the routing writers (idempotent).</summary>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_originalOut is not null) return;
            _originalOut = Console.Out;
            _originalError = Console.Error;
            Console.SetOut(new RoutingWriter("stdout", _originalOut));
            Console.SetError(new RoutingWriter("stderr", _originalError));
        }
    }

    private sealed class RoutingWriter(string stream, TextWriter fallback) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            var context = CellContext.Current;
            if (context is not null) context.Write(stream, value);
            else lock (fallback) fallback.Write(value);
        }

        public override void WriteLine(string? value) => Write((value ?? "") + NewLine);

        public override void WriteLine() => Write(NewLine);

        public override void Flush()
        {
            var context = CellContext.Current;
            if (context is not null) context.Flush();
            else lock (fallback) fallback.Flush();
        }
    }
}
