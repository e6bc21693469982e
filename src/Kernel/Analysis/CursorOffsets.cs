namespace ModelSecurity.Kernel.Analysis;

/// <summary>
/// Jupyter counts cursor positions in Unicode code points (protocol 5.2+); .NET strings count UTF-16 code units.
/// The two differ after characters outside the Basic Multilingual Plane (emoji, some math letters).
/// </summary>
public static class CursorOffsets
{
    /// <summary>The UTF-16 index of the <paramref name="codePoints"/>-th code point (clamped to the text).</summary>
    public static int ToUtf16(string text, int codePoints)
    {
        int index = 0;
        for (int seen = 0; index < text.Length && seen < codePoints; seen++)
            index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
        return index;
    }

    /// <summary>The number of code points before UTF-16 index <paramref name="utf16Index"/>.</summary>
    public static int ToCodePoints(string text, int utf16Index)
    {
        int count = 0;
        for (int i = 0; i < utf16Index && i < text.Length; i++)
            if (!(char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]))) count++;
        return count;
    }
}
