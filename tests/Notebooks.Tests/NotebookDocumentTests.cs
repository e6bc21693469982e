using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Tests;

public class NotebookDocumentTests
{
    private const string VsCodeNotebook = """
        {
         "cells": [
          {
           "cell_type": "markdown",
           "id": "a1",
           "metadata": {},
           "source": ["# Title\n", "text"]
          },
          {
           "cell_type": "code",
           "execution_count": 3,
           "id": "b2",
           "metadata": {
            "dotnet_interactive": {"language": "csharp"},
            "polyglot_notebook": {"kernelName": "csharp"},
            "vscode": {"languageId": "polyglot-notebook"}
           },
           "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
           "source": ["Console.WriteLine(\"hi\");"],
           "some_future_field": {"x": [1, 2]}
          }
         ],
         "metadata": {
          "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
          "language_info": {"name": "C#"},
          "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"aliases": [], "name": "csharp"}]}}
         },
         "nbformat": 4,
         "nbformat_minor": 5,
         "top_level_extra": true
        }
        """;

    [Fact]
    public void RoundTripKeepsEveryFieldAndValue()
    {
        var notebook = NotebookDocument.Parse(VsCodeNotebook);
        var reparsed = JsonNode.Parse(notebook.ToJson())!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(VsCodeNotebook), reparsed));
        Assert.Equal("Console.WriteLine(\"hi\");", notebook.Cells[1].Source);
        Assert.Equal("# Title\ntext", notebook.Cells[0].Source);
        Assert.Equal("csharp", notebook.Cells[1].KernelName);
    }

    [Fact]
    public void WrittenJsonUsesJupyterStyleAndNoHtmlEscaping()
    {
        var notebook = NotebookDocument.CreateNew();
        notebook.AddCell(NotebookCellKind.Code, "var s = \"<b>&</b>\";\nConsole.WriteLine(s);");
        string json = notebook.ToJson();
        Assert.Contains("\"var s = \\\"<b>&</b>\\\";\\n\",", json);
        Assert.Contains("\n \"cells\": [", json);
        Assert.EndsWith("}\n", json);
    }

    [Fact]
    public void WrittenJsonIsInNbformatsLayoutSoJupyterSavesItUnchanged()
    {
        var notebook = NotebookDocument.Parse("""
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {"b": 1, "a": 2},
             "cells": [{"source": "x\ny", "metadata": {}, "id": "c1", "cell_type": "code", "outputs": [], "execution_count": null}]}
            """);
        var written = JsonNode.Parse(notebook.ToJson())!;
        Assert.Equal(["cells", "metadata", "nbformat", "nbformat_minor"], written.AsObject().Select(p => p.Key));
        Assert.Equal(["a", "b"], written["metadata"]!.AsObject().Select(p => p.Key));
        var cell = written["cells"]![0]!.AsObject();
        Assert.Equal(["cell_type", "execution_count", "id", "metadata", "outputs", "source"], cell.Select(p => p.Key));
        Assert.Equal(["x\n", "y"], cell["source"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void NormalizeGivesEveryCellAUniqueValidId()
    {
        var notebook = NotebookDocument.Parse(VsCodeNotebook.Replace("\"id\": \"b2\"", "\"id\": \"a1\""));
        notebook.Cells[0].Json.Remove("id");
        notebook.Normalize();
        var ids = notebook.Cells.Select(c => c.Id!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", id));
    }
}
