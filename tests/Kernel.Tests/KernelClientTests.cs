using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Tests;

/// <summary>The kernel driven by real Jupyter clients (jupyter_client, nbclient): execution and analysis requests.</summary>
public class KernelClientTests
{
    [Fact]
    public async Task KernelInfoAndExecutionOutputsFollowTheProtocol()
    {
        var r = await PythonClient.RunAsync("execute.py");

        var info = r["kernel_info"]!;
        Assert.Equal("5.3", info.Str("protocol_version"));
        Assert.Equal("modelsecurity-course", info.Str("implementation"));
        var language = info["language_info"]!;
        Assert.Equal("C#", language.Str("name"));
        Assert.Equal("text/x-csharp", language.Str("mimetype"));
        Assert.Equal(".cs", language.Str("file_extension"));
        Assert.Equal("csharp", language.Str("pygments_lexer"));
        Assert.Equal("text/x-csharp", language.Str("codemirror_mode"));
        Assert.False(string.IsNullOrWhiteSpace(info.Str("banner")));
        Assert.Equal(["busy", "idle"], r["kernel_info_iopub"].Strings());

        var hello = r["hello"];
        Assert.Equal("ok", hello!["reply"].Str("status"));
        Assert.Equal(1, (int)hello["reply"]!["execution_count"]!);
        Assert.Equal(["status:busy", "execute_input", "stream", "stream", "execute_result", "status:idle"], hello.Types());
        var io = hello.Iopub();
        Assert.Equal(1, (int)io[1].Content["execution_count"]!);
        Assert.Equal(("stdout", "hello\n"), (io[2].Content.Str("name"), io[2].Content.Str("text")));
        Assert.Equal(("stderr", "careful\n"), (io[3].Content.Str("name"), io[3].Content.Str("text")));
        Assert.Equal("42", io[4].Content["data"].Str("text/plain"));
        Assert.Equal(1, (int)io[4].Content["execution_count"]!);

        var display = r["display"].Iopub().Where(m => m.Type.Contains("display")).ToList();
        Assert.Equal(["display_data", "display_data", "update_display_data"], display.Select(m => m.Type));
        Assert.Equal("<b>bold</b>", display[0].Content["data"].Str("text/html"));
        string id = display[1].Content["transient"].Str("display_id");
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal(id, display[2].Content["transient"].Str("display_id"));
        Assert.Equal("step 2", display[2].Content["data"].Str("text/plain"));

        var error = r["error"]!;
        Assert.Equal("error", error["reply"].Str("status"));
        Assert.Equal("System.InvalidOperationException", error["reply"].Str("ename"));
        Assert.Equal("boom", error["reply"].Str("evalue"));
        var published = error.Iopub().Single(m => m.Type == "error").Content;
        var traceback = published["traceback"].Strings();
        Assert.StartsWith("cell 3, line 3: System.InvalidOperationException: boom", traceback[0]);
        Assert.Contains(traceback, l => l.Contains("<cell code> in cell 3, line 4"));
        Assert.Equal(traceback, error["reply"]!["traceback"].Strings());

        var compile = r["compile_error"]!["reply"];
        Assert.Equal("CompilationError", compile.Str("ename"));
        Assert.Contains("cell 4, line 1, column 9: error CS0029", compile.Str("evalue"));

        // silent: nothing but status on iopub, the count does not move; store_history=false: no new count either.
        Assert.Equal(["status:busy", "status:idle"], r["silent"].Types());
        Assert.Equal("ok", r["silent"]!["reply"].Str("status"));
        Assert.Equal(4, (int)r["no_history"]!["reply"]!["execution_count"]!);
        Assert.Equal("not stored", r["no_history"].Iopub().Single(m => m.Type == "execute_result").Content["data"].Str("text/plain"));
        Assert.Equal(5, (int)r["after"]!["reply"]!["execution_count"]!);
        Assert.Equal("2", r["after"].Iopub().Single(m => m.Type == "execute_result").Content["data"].Str("text/plain"));

        var expressions = r["user_expressions"]!["user_expressions"]!;
        Assert.Equal("ok", expressions["twice"].Str("status"));
        Assert.Equal("10", expressions["twice"]!["data"].Str("text/plain"));
        Assert.Equal("error", expressions["bad"].Str("status"));

        var queued = (JsonArray)r["queued"]!;
        Assert.Equal(["error", "aborted", "aborted"], queued.Select(q => q.Str("status")));
        Assert.Equal("ok", r["after_abort"].Str("status"));

        Assert.Equal("ok", r["comm_info"].Str("status"));
        Assert.Empty((JsonObject)r["comm_info"]!["comms"]!);
        Assert.Empty((JsonArray)r["history"]!["history"]!);
        Assert.Equal("ok", (string?)r["after_unknown"]);

        // Readable text/plain in the kernel too (column names and values, no compiler type names), shown once.
        var linq = r["linq"].Iopub().Where(m => m.Type is "display_data" or "execute_result").ToList();
        Assert.Equal(["display_data"], linq.Select(m => m.Type));
        Assert.Equal("2 rows\nEps   Doubled\n0.5   [1]\n0.25  [0.5]", linq[0].Content["data"].Str("text/plain"));
    }

    [Fact]
    public async Task CompletionInspectionAndCompletenessComeFromRoslyn()
    {
        var r = await PythonClient.RunAsync("analysis.py");
        var complete = r["complete"]!;

        var member = complete["member"]!;
        Assert.Equal(["Add", "AddRange"], member["matches"].Strings());
        Assert.Equal(8, (int)member["cursor_start"]!);
        Assert.Equal(10, (int)member["cursor_end"]!);
        var types = (JsonArray)member["metadata"]!["_jupyter_types_experimental"]!;
        Assert.Equal("method", types[0].Str("type"));
        Assert.Contains("List<int>.Add(int item)", types[0].Str("signature"));

        Assert.Equal(["WriteLine"], complete["static"]!["matches"].Strings());
        Assert.Contains("numbers", complete["scope"]!["matches"].Strings());
        Assert.Contains("Dictionary", complete["namespace"]!["matches"].Strings());
        Assert.Contains("Square", complete["cell_method"]!["matches"].Strings());
        Assert.Contains("foreach", complete["keyword"]!["matches"].Strings());
        // Cursor positions are in code points: the emoji before the cursor is one, not two UTF-16 units.
        var emoji = complete["emoji"]!;
        Assert.Contains("Count", emoji["matches"].Strings());
        Assert.Equal("var s = \"\U0001F600\"; numbers.".Length - 1, (int)emoji["cursor_start"]!);

        var inspect = r["inspect"]!;
        Assert.True((bool)inspect["method"]!["found"]!);
        string method = inspect["method"]!["data"].Str("text/plain");
        Assert.Contains("void Console.WriteLine(string? value)", method);
        Assert.Contains("Writes the specified string value", method); // XML docs from the SDK's reference pack
        Assert.Contains("double Math.Sqrt(double d)", inspect["in_arguments"]!["data"].Str("text/plain"));
        string variable = inspect["variable"]!["data"].Str("text/plain");
        Assert.Contains("(variable) List<int> numbers", variable);
        Assert.Contains("Value: List<Int32> (3 items) [1, 2, 3]", variable);
        Assert.Contains("Squares a number.", inspect["cell_method"]!["data"].Str("text/plain"));
        Assert.False((bool)inspect["nothing"]!["found"]!);

        var isComplete = r["is_complete"]!;
        Assert.Equal("incomplete", isComplete["if (true) {"].Str("status"));
        Assert.Equal("    ", isComplete["if (true) {"].Str("indent"));
        Assert.Equal("complete", isComplete["var x = 1;"].Str("status"));
        Assert.Equal("complete", isComplete["x + 1"].Str("status"));
        Assert.Equal("invalid", isComplete["}"].Str("status"));
        Assert.Equal("        ", isComplete["for (int i = 0; i < 3; i++) {\n  if (i > 1) {"].Str("indent"));
        Assert.Equal("incomplete", isComplete["\"abc"].Str("status"));
    }

    [Fact]
    public async Task NbclientRunsANotebookEndToEnd()
    {
        string dir = Directory.CreateTempSubdirectory("course-kernel-nb-").FullName;
        string path = Path.Combine(dir, "kernel-test.ipynb");
        File.WriteAllText(path, SampleNotebook());
        var r = await PythonClient.RunAsync("nbclient_run.py", path);

        Assert.Equal("C#", r["language_info"].Str("name"));
        var cells = (JsonArray)r["cells"]!;
        Assert.Equal([1, 2, 3, 4], cells.Select(c => (int)c!["count"]!));
        var first = (JsonArray)cells[0]!["outputs"]!;
        Assert.Equal("stream", first[0].Str("output_type"));
        Assert.Equal("first cell\n", first[0].Str("text"));
        var table = (JsonArray)cells[1]!["outputs"]!;
        Assert.Contains("<table", table.Single()!["data"].Str("text/html"));
        var tensor = (JsonArray)cells[2]!["outputs"]!;
        Assert.StartsWith("Tensor float32 [2, 3] on cpu", tensor.Single()!["data"].Str("text/plain"));
        var chart = (JsonArray)cells[3]!["outputs"]!;
        string html = chart.Single()!["data"].Str("text/html");
        Assert.Contains("Plotly.newPlot", html);
        // The file nbclient wrote keeps the course's kernelspec.
        var written = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(".net-csharp", written["metadata"]!["kernelspec"].Str("name"));
    }

    private static string SampleNotebook()
    {
        var cells = new JsonArray(
            Code("Console.WriteLine(\"first cell\");"),
            Code("record Row(string Name, int Value);\nnew[] { new Row(\"a\", 1), new Row(\"b\", 2) }"),
            Code("using TorchSharp;\ntorch.ones(2, 3)"),
            Code("using Plotly.NET.CSharp;\nChart.Line<int, int, string>(x: new[] { 1, 2, 3 }, y: new[] { 1, 4, 9 })"));
        return new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        }.ToJsonString();

        static JsonObject Code(string source) => new()
        {
            ["cell_type"] = "code",
            ["id"] = Guid.NewGuid().ToString("N")[..8],
            ["metadata"] = new JsonObject(),
            ["execution_count"] = null,
            ["outputs"] = new JsonArray(),
            ["source"] = source,
        };
    }
}
