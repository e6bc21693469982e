using static TorchSharp.torch;

namespace ModelSecurity.Models;

/// <summary>
/// A copy of a model's state (parameters and buffers), kept apart from the model so that training can go on and the
/// copy be put back or saved later — how early stopping keeps the weights of its best epoch. Holds native memory:
/// dispose it.
/// </summary>
public sealed class WeightSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor> _state;
    private bool _disposed;

    private WeightSnapshot(Dictionary<string, Tensor> state) => _state = state;

    /// <summary>Copies the current state of <paramref name="model"/> (on the model's device).</summary>
    public static WeightSnapshot Of(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = no_grad();
        return new WeightSnapshot(model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope()));
    }

    /// <summary>Copies the saved state into <paramref name="model"/>, which must have the same parameters and buffers.</summary>
    /// <exception cref="ArgumentException">A tensor of <paramref name="model"/> has no saved copy or a different shape.</exception>
    public void CopyInto(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = model.state_dict();
        // Checked before anything is copied, so that a wrong model is left as it was.
        foreach (var (name, tensor) in target)
            if (!_state.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(tensor.shape))
                throw new ArgumentException($"The model's '{name}' does not match the saved weights: is it the model they were taken from?", nameof(model));
        using var noGrad = no_grad();
        foreach (var (name, tensor) in target) tensor.copy_(_state[name]);
    }

    /// <summary>Frees the copies.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _state.Values) tensor.Dispose();
    }
}
