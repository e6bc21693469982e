using System.Text;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Receives the outputs of a running cell as they happen, in order: stream text, displayed values, the result and
/// errors. A notebook writer collects them (<see cref="CellOutputCollector"/>); a Jupyter kernel forwards them.
/// </summary>
public interface ICellOutputSink
{
    /// <summary>A new output.</summary>
    void Add(CellOutput output);

    /// <summary>A displayed value changed (<c>DisplayedValue.Update</c>): replace the output with this display id.</summary>
    void Update(string displayId, DisplayOutput output);
}

/// <summary>Collects a cell's outputs into a list, merging consecutive stream text as Jupyter does.</summary>
/// <remarks>
/// The text of a growing stream output is kept in a <see cref="StringBuilder"/> until something else is added or the
/// outputs are read, so a cell printing many lines costs linear, not quadratic, time.
/// </remarks>
public sealed class CellOutputCollector : ICellOutputSink
{
    private readonly List<CellOutput> _outputs = [];
    private readonly object _gate = new();
    private StringBuilder? _openStream; // the text of _outputs[^1] while it is a stream that may still grow

    /// <summary>The outputs so far.</summary>
    public IReadOnlyList<CellOutput> Outputs
    {
        get
        {
            lock (_gate)
            {
                Seal();
                return _outputs.ToList();
            }
        }
    }

    /// <inheritdoc />
    public void Add(CellOutput output)
    {
        lock (_gate)
        {
            if (output is StreamOutput stream && _outputs.Count > 0 && _outputs[^1] is StreamOutput last && last.Name == stream.Name)
            {
                (_openStream ??= new StringBuilder(last.Text)).Append(stream.Text);
            }
            else
            {
                Seal();
                _outputs.Add(output);
            }
        }
    }

    /// <inheritdoc />
    public void Update(string displayId, DisplayOutput output)
    {
        lock (_gate)
        {
            Seal();
            int index = _outputs.FindIndex(o => o is DisplayOutput d && d.DisplayId == displayId);
            if (index >= 0) _outputs[index] = output;
        }
    }

    /// <summary>Writes the pending stream text into the last output.</summary>
    private void Seal()
    {
        if (_openStream is null) return;
        _outputs[^1] = (StreamOutput)_outputs[^1] with { Text = _openStream.ToString() };
        _openStream = null;
    }
}
