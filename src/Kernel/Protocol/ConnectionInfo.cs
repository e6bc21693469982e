using System.Globalization;
using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// The connection file a Jupyter front end writes before it starts a kernel: where to bind the five sockets and
/// the key that signs every message.
/// </summary>
/// <param name="Transport"><c>tcp</c> (the only transport NetMQ shares with libzmq).</param>
/// <param name="Ip">Address to bind, normally the loopback address <c>127.0.0.1</c>.</param>
/// <param name="ShellPort">Port of the shell socket (requests and replies).</param>
/// <param name="IopubPort">Port of the iopub socket (outputs and status broadcast).</param>
/// <param name="StdinPort">Port of the stdin socket (the kernel asks the front end for input).</param>
/// <param name="ControlPort">Port of the control socket (interrupt, shutdown).</param>
/// <param name="HeartbeatPort">Port of the heartbeat socket (echo).</param>
/// <param name="Key">HMAC key; empty means messages are not signed.</param>
/// <param name="SignatureScheme">Signature scheme; only <c>hmac-sha256</c> is supported.</param>
public sealed record ConnectionInfo(string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort,
    int ControlPort, int HeartbeatPort, string Key, string SignatureScheme)
{
    /// <summary>Reads a connection file.</summary>
    /// <exception cref="InvalidDataException">Not JSON, a port missing, or an unsupported transport or signature scheme.</exception>
    public static ConnectionInfo Load(string path)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InvalidDataException($"{path}: the connection file is not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: the connection file is not valid JSON: {e.Message}", e);
        }
        return Parse(json, path);
    }

    /// <summary>Reads a connection file's JSON; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">A port missing, or an unsupported transport or signature scheme.</exception>
    public static ConnectionInfo Parse(JsonObject json, string source = "connection file")
    {
        string transport = (string?)json["transport"] ?? "tcp";
        if (transport != "tcp")
            throw new InvalidDataException($"{source}: transport '{transport}' is not supported (NetMQ's ipc is not libzmq's); use tcp");
        string scheme = (string?)json["signature_scheme"] ?? "hmac-sha256";
        if (scheme != "hmac-sha256")
            throw new InvalidDataException($"{source}: signature scheme '{scheme}' is not supported; use hmac-sha256");
        return new ConnectionInfo(transport, (string?)json["ip"] ?? "127.0.0.1",
            Port(json, "shell_port", source), Port(json, "iopub_port", source), Port(json, "stdin_port", source),
            Port(json, "control_port", source), Port(json, "hb_port", source), (string?)json["key"] ?? "", scheme);
    }

    /// <summary>The ZeroMQ endpoint of a port, e.g. <c>tcp://127.0.0.1:5555</c>.</summary>
    public string Endpoint(int port)
    {
        string host = Ip.Contains(':') && !Ip.StartsWith('[') ? $"[{Ip}]" : Ip; // IPv6 literal
        return $"{Transport}://{host}:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The connection file's JSON (as a front end would write it).</summary>
    public JsonObject ToJson() => new()
    {
        ["transport"] = Transport,
        ["ip"] = Ip,
        ["shell_port"] = ShellPort,
        ["iopub_port"] = IopubPort,
        ["stdin_port"] = StdinPort,
        ["control_port"] = ControlPort,
        ["hb_port"] = HeartbeatPort,
        ["key"] = Key,
        ["signature_scheme"] = SignatureScheme,
    };

    private static int Port(JsonObject json, string name, string source)
    {
        if (json[name] is JsonValue value && value.TryGetValue(out int port) && port is > 0 and < 65536) return port;
        throw new InvalidDataException($"{source}: '{name}' is missing or not a port number");
    }
}
