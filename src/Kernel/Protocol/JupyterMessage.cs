using System.Globalization;
using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// One message of the Jupyter messaging protocol: routing identities, header, parent header, metadata, content
/// and optional binary buffers.
/// </summary>
public sealed class JupyterMessage
{
    /// <summary>The protocol version this kernel speaks.</summary>
    public const string ProtocolVersion = "5.3";

    /// <summary>Creates a message from its parts.</summary>
    public JupyterMessage(IReadOnlyList<byte[]> identities, JsonObject header, JsonObject parentHeader, JsonObject metadata,
        JsonObject content, IReadOnlyList<byte[]>? buffers = null)
    {
        Identities = identities;
        Header = header;
        ParentHeader = parentHeader;
        Metadata = metadata;
        Content = content;
        Buffers = buffers ?? [];
    }

    /// <summary>ZeroMQ routing frames before the <c>&lt;IDS|MSG&gt;</c> delimiter (on iopub: the topic).</summary>
    public IReadOnlyList<byte[]> Identities { get; }

    /// <summary>msg_id, session, username, date, msg_type, version.</summary>
    public JsonObject Header { get; }

    /// <summary>The header of the request this message answers, or an empty object.</summary>
    public JsonObject ParentHeader { get; }

    /// <summary>Free-form metadata.</summary>
    public JsonObject Metadata { get; }

    /// <summary>The message type's content.</summary>
    public JsonObject Content { get; }

    /// <summary>Extra binary frames (rarely used).</summary>
    public IReadOnlyList<byte[]> Buffers { get; }

    /// <summary>The header's <c>msg_type</c>, e.g. <c>execute_request</c>.</summary>
    public string MsgType => (string?)Header["msg_type"] ?? "";

    /// <summary>The header's <c>msg_id</c>.</summary>
    public string MsgId => (string?)Header["msg_id"] ?? "";

    /// <summary>
    /// A new message of this kernel session, as a reply to (or output of) <paramref name="parent"/>: the parent's
    /// header becomes the parent header and, unless <paramref name="identities"/> says otherwise, its identities route it.
    /// </summary>
    public static JupyterMessage Create(string session, string msgType, JsonObject content, JupyterMessage? parent,
        IReadOnlyList<byte[]>? identities = null, JsonObject? metadata = null)
    {
        var header = new JsonObject
        {
            ["msg_id"] = Guid.NewGuid().ToString("N"),
            ["session"] = session,
            ["username"] = "kernel",
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["msg_type"] = msgType,
            ["version"] = ProtocolVersion,
        };
        var parentHeader = parent is null ? new JsonObject() : (JsonObject)parent.Header.DeepClone();
        return new JupyterMessage(identities ?? parent?.Identities ?? [], header, parentHeader, metadata ?? new JsonObject(), content);
    }
}
