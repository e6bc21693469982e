using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ModelSecurity.Kernel;
using ModelSecurity.Kernel.Protocol;
using ModelSecurity.Notebooks.Execution;
using NetMQ;
using NetMQ.Sockets;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// The Jupyter kernel against the headless engine, side by side in one process: round-trip latency of an empty
/// cell and of a trivial cell (<c>1</c>) — execute_request sent until both execute_reply and status idle arrived —
/// and a cell printing 10 000 lines. The client is a minimal ZeroMQ client over loopback TCP with signed messages,
/// so the numbers are the kernel's, without a Python client's overhead.
/// Options: --cells N (default 200), --lines N (default 10000), --repeat N (default 5).
/// </summary>
internal static class KernelRoundTripBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int cells = Option(args, "--cells", 200);
        int lines = Option(args, "--lines", 10_000);
        int repeat = Option(args, "--repeat", 5);
        int[] ports = FreePorts(5);
        string key = Guid.NewGuid().ToString("N");
        var connection = new ConnectionInfo("tcp", "127.0.0.1", ports[0], ports[1], ports[2], ports[3], ports[4], key, "hmac-sha256");
        using var kernel = new JupyterKernel(connection, new KernelOptions { Log = TextWriter.Null, ParentProcessId = null });
        using var stop = new CancellationTokenSource();
        var running = kernel.RunAsync(stop.Token);
        using var client = new Client(connection);
        await client.ReadyAsync();

        var engine = new NotebookEngine(new EngineOptions { BaseDirectory = Path.GetTempPath(), NotebookName = "benchmark.ipynb" });
        await Headless(engine, "1"); // Roslyn start-up, outside the measurement
        await client.ExecuteAsync("1");

        var kernelEmpty = await Measure(cells, () => client.ExecuteAsync(""));
        // Interleaved, so both see the same machine load; the overhead is the median of the pairwise differences.
        var kernelTrivial = new List<TimeSpan>();
        var engineTrivial = new List<TimeSpan>();
        for (int i = 0; i < cells; i++)
        {
            kernelTrivial.AddRange(await Measure(1, () => client.ExecuteAsync("1")));
            engineTrivial.AddRange(await Measure(1, () => Headless(engine, "1")));
        }
        var overhead = kernelTrivial.Zip(engineTrivial, (k, e) => k - e).ToList();

        string print = $"for (int i = 0; i < {lines}; i++) Console.WriteLine(i);";
        await Headless(engine, print);
        await client.ExecuteAsync(print);
        await engine.ExecuteAsync(print, new DiscardingSink());
        var enginePrint = new List<TimeSpan>();
        var discardPrint = new List<TimeSpan>();
        var kernelPrint = new List<TimeSpan>();
        (int Messages, int Chars) streams = default;
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            await Headless(engine, print);
            enginePrint.Add(clock.Elapsed);
            clock.Restart();
            await engine.ExecuteAsync(print, new DiscardingSink());
            discardPrint.Add(clock.Elapsed);
            clock.Restart();
            streams = await client.ExecuteAsync(print);
            kernelPrint.Add(clock.Elapsed);
        }

        Console.WriteLine($"Kernel round-trip benchmark ({cells} cells each; {lines:N0} printed lines x {repeat}), .NET {Environment.Version}, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  empty cell, kernel round trip          median {Ms(Median(kernelEmpty)),10}   p90 {Ms(P90(kernelEmpty)),10}");
        Console.WriteLine($"  cell '1', kernel round trip            median {Ms(Median(kernelTrivial)),10}   p90 {Ms(P90(kernelTrivial)),10}");
        Console.WriteLine($"  cell '1', headless engine              median {Ms(Median(engineTrivial)),10}   p90 {Ms(P90(engineTrivial)),10}");
        Console.WriteLine($"  protocol overhead per cell                    {Ms(Median(overhead)),10}   (median of pairwise differences)");
        Console.WriteLine($"  {lines:N0} lines, headless engine         median {Ms(Median(enginePrint)),10}   (CellOutputCollector, as course run)");
        Console.WriteLine($"  {lines:N0} lines, engine, outputs dropped median {Ms(Median(discardPrint)),10}   (the cell's own cost)");
        Console.WriteLine($"  {lines:N0} lines, kernel (until idle)     median {Ms(Median(kernelPrint)),10}   ratio {Median(kernelPrint) / Median(enginePrint):F2}x   " +
                          $"({streams.Messages} stream messages, {streams.Chars:N0} characters)");
        await stop.CancelAsync();
        await running;
        return 0;
    }

    private static async Task Headless(NotebookEngine engine, string code)
    {
        var result = await engine.ExecuteAsync(code, new CellOutputCollector());
        if (result.Status != CellStatus.Succeeded) throw new InvalidOperationException($"cell failed: {result.Error?.EValue}");
    }

    /// <summary>A sink that drops everything: the engine's own cost of a printing cell.</summary>
    private sealed class DiscardingSink : ICellOutputSink
    {
        public void Add(Notebooks.Format.CellOutput output) { }

        public void Update(string displayId, Notebooks.Format.DisplayOutput output) { }
    }

    private static async Task<List<TimeSpan>> Measure(int count, Func<Task> action)
    {
        var times = new List<TimeSpan>(count);
        for (int i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await action();
            times.Add(clock.Elapsed);
        }
        return times;
    }

    private static TimeSpan Median(List<TimeSpan> times) => times.Order().ElementAt(times.Count / 2);

    private static TimeSpan P90(List<TimeSpan> times) => times.Order().ElementAt(Math.Min(times.Count - 1, (int)(times.Count * 0.9)));

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        int[] ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("N2", CultureInfo.InvariantCulture) + " ms";

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }

    /// <summary>A minimal Jupyter client: a DEALER on shell, a SUB on iopub, signed messages. Not thread-safe; one request at a time.</summary>
    private sealed class Client : IDisposable
    {
        private readonly DealerSocket _shell = new();
        private readonly SubscriberSocket _iopub = new();
        private readonly WireCodec _codec;
        private readonly string _session = Guid.NewGuid().ToString("N");

        public Client(ConnectionInfo connection)
        {
            _codec = new WireCodec(new MessageSigner(connection.Key));
            _shell.Connect(connection.Endpoint(connection.ShellPort));
            _iopub.Connect(connection.Endpoint(connection.IopubPort));
            _iopub.SubscribeToAnyTopic();
        }

        /// <summary>Sends kernel_info_request until iopub delivers its status (the subscription is then in place).</summary>
        public async Task ReadyAsync()
        {
            for (int attempt = 0; attempt < 100; attempt++)
            {
                string id = Send("kernel_info_request", new JsonObject());
                if (TryReceive(_shell, TimeSpan.FromSeconds(10)) is null) throw new TimeoutException("no kernel_info_reply");
                var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(200);
                while (DateTime.UtcNow < deadline)
                    if (TryReceive(_iopub, TimeSpan.FromMilliseconds(50)) is { } m && (string?)m.ParentHeader["msg_id"] == id) return;
                await Task.Delay(50);
            }
            throw new TimeoutException("iopub never delivered");
        }

        /// <summary>Runs code; returns when execute_reply and status idle arrived, with the number of stream messages and characters.</summary>
        public Task<(int Messages, int Chars)> ExecuteAsync(string code)
        {
            string id = Send("execute_request", new JsonObject
            {
                ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(),
                ["allow_stdin"] = false, ["stop_on_error"] = true,
            });
            // The kernel sends the reply before status idle: wait for idle on iopub, then take the reply from shell.
            int messages = 0, chars = 0;
            while (true)
            {
                var message = TryReceive(_iopub, TimeSpan.FromSeconds(60)) ?? throw new TimeoutException("no status idle");
                if ((string?)message.ParentHeader["msg_id"] != id) continue;
                if (message.MsgType == "stream") { messages++; chars += ((string?)message.Content["text"] ?? "").Length; }
                if (message.MsgType == "status" && (string?)message.Content["execution_state"] == "idle") break;
            }
            while (true)
            {
                var reply = TryReceive(_shell, TimeSpan.FromSeconds(60)) ?? throw new TimeoutException("no execute_reply");
                if ((string?)reply.ParentHeader["msg_id"] != id) continue;
                if ((string?)reply.Content["status"] != "ok") throw new InvalidOperationException($"cell failed: {reply.Content}");
                break;
            }
            return Task.FromResult((messages, chars));
        }

        private string Send(string type, JsonObject content)
        {
            var message = JupyterMessage.Create(_session, type, content, null, []);
            _shell.SendMultipartBytes(_codec.Encode(message));
            return message.MsgId;
        }

        private JupyterMessage? TryReceive(NetMQSocket socket, TimeSpan timeout)
        {
            var frames = new List<byte[]>();
            return socket.TryReceiveMultipartBytes(timeout, ref frames) ? _codec.Decode(frames) : null;
        }

        public void Dispose()
        {
            _shell.Dispose();
            _iopub.Dispose();
        }
    }
}
