using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelSecurity.Grading.Remote;

/// <summary>
/// The submission's process cannot answer any more: it timed out in a call, ended, or broke the protocol. The exercise
/// being checked fails with <see cref="Exception.Message"/>; the grader starts a fresh worker for the exercises left.
/// </summary>
public sealed class SubmissionUnavailableException(string message) : Exception(message);

/// <summary>
/// Length-prefixed JSON messages (4-byte little-endian length, UTF-8) over a connected Unix-domain socket between the
/// grader and its worker: a private channel, not the worker's standard output or error, which the learner's code writes
/// to. Reads are bounded in size and time; once a read fails the channel stays broken and says why.
/// </summary>
public sealed class RemoteChannel(Socket socket, int maxMessageBytes) : IDisposable
{
    private readonly byte[] _header = new byte[4];

    /// <summary>Why the channel is unusable, or null.</summary>
    public string? BrokenBecause { get; private set; }

    /// <summary>Sends one message.</summary>
    /// <exception cref="SubmissionUnavailableException">The other side is gone.</exception>
    public void Send(JsonNode message)
    {
        ThrowIfBroken();
        byte[] body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        try
        {
            socket.SendTimeout = 30_000;
            int sent = 0;
            while (sent < frame.Length) sent += socket.Send(frame, sent, frame.Length - sent, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Break("the submission's process stopped reading (it ended or hung)");
        }
    }

    /// <summary>Receives one message within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="what">What is waited for, for the message when it does not come (e.g. "the call MyFgsm(…)").</param>
    /// <exception cref="SubmissionUnavailableException">Timed out, the other side ended, or the message is malformed or too large.</exception>
    public JsonObject Receive(TimeSpan timeout, string what)
    {
        ThrowIfBroken();
        var deadline = DateTime.UtcNow + timeout;
        ReadExactly(_header, deadline, what);
        int length = BinaryPrimitives.ReadInt32LittleEndian(_header);
        if (length < 2 || length > maxMessageBytes)
            throw Break($"the submission's process sent a message of {length} bytes while waiting for {what} (limit {maxMessageBytes})");
        var body = new byte[length];
        ReadExactly(body, deadline, what);
        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
                   ?? throw Break($"the submission's process sent something other than a message while waiting for {what}");
        }
        catch (JsonException)
        {
            throw Break($"the submission's process sent malformed data while waiting for {what}");
        }
    }

    private void ReadExactly(byte[] buffer, DateTime deadline, string what)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw Break($"timed out waiting for {what}");
            int n;
            try
            {
                if (!socket.Poll((int)Math.Min(left.TotalMicroseconds, int.MaxValue), SelectMode.SelectRead))
                    throw Break($"timed out waiting for {what}");
                n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                throw Break($"the submission's process ended while the grader waited for {what}");
            }
            if (n == 0) throw Break($"the submission's process ended while the grader waited for {what}");
            read += n;
        }
    }

    private void ThrowIfBroken()
    {
        if (BrokenBecause is not null) throw new SubmissionUnavailableException(BrokenBecause);
    }

    private SubmissionUnavailableException Break(string why)
    {
        BrokenBecause ??= why;
        return new SubmissionUnavailableException(why);
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => socket.Dispose();
}
