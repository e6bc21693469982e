using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Parameters;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

public class ParameterTests
{
    private const string Defaults = "var Epochs = 5;\nint TrainSubset = 60000;\nstring Device = \"cpu\";\ndouble Epsilon = 0.1;\nbool Retrain = false;\nvar Rate = 1e-3f;";

    private static NotebookDocument WithParameters()
    {
        var notebook = Notebook("Console.WriteLine(\"setup\");", Defaults,
            "Console.WriteLine($\"{Epochs}|{TrainSubset}|{Device}|{Epsilon}|{Retrain}|{Rate}\");");
        notebook.Cells[2].AddTag("parameters");
        return notebook;
    }

    [Fact]
    public void DeclarationsAreReadWithTheirTypes()
    {
        var declared = NotebookParameters.Parse(Defaults);
        Assert.Equal(
            ["int Epochs = 5", "int TrainSubset = 60000", "string Device = \"cpu\"", "double Epsilon = 0.1", "bool Retrain = false", "float Rate = 1e-3f"],
            declared.Select(d => d.ToString()));
    }

    [Fact]
    public async Task InjectedCellFollowsTheParametersCellAndIsKept()
    {
        string dir = NewDirectory();
        string path = Save(WithParameters(), dir);
        var (exit, _, error) = await RunCli("run", path, "--param", "Epochs=1", "--param", "TrainSubset=2000",
            "--param", "Device=cuda:0", "--param", "Epsilon=0.25", "--param", "Retrain=true");
        Assert.True(exit == 0, error);
        var written = NotebookDocument.Load(path);
        var injected = written.Cells[3];
        Assert.True(injected.HasTag("injected-parameters"));
        Assert.Contains("int Epochs = 1;\nint TrainSubset = 2000;\nstring Device = \"cuda:0\";\ndouble Epsilon = 0.25d;\nbool Retrain = true;", injected.Source);
        Assert.Equal("1|2000|cuda:0|0.25|True|0.001\n", NotebookCell.FromMultiline(written.Cells[4].Outputs[0]!["text"]));
        NbformatValidator.AssertValid(path);

        // Running the output again with other values replaces the injected cell instead of adding another.
        Assert.Equal(0, (await RunCli("run", path, "--param", "Epochs=3")).Exit);
        var again = NotebookDocument.Load(path);
        Assert.Single(again.Cells, c => c.HasTag("injected-parameters"));
        Assert.Equal("3|60000|cpu|0.1|False|0.001\n", NotebookCell.FromMultiline(again.Cells[4].Outputs[0]!["text"]));
    }

    [Theory]
    [InlineData("Epochs=many", "Parameter 'Epochs' is declared as int; 'many' is not a valid int")]
    [InlineData("Retrain=perhaps", "'perhaps' is not a valid bool")]
    [InlineData("Epsilon=0,1", "is not a valid double")]
    [InlineData("epochs=3", "Unknown parameter 'epochs'. Did you mean 'Epochs'?")]
    [InlineData("BatchSize=3", "Unknown parameter 'BatchSize'")]
    public async Task BadParametersAreRejectedBeforeAnythingRuns(string parameter, string expected)
    {
        string dir = NewDirectory();
        string path = Save(WithParameters(), dir);
        byte[] before = File.ReadAllBytes(path);
        var (exit, _, error) = await RunCli("run", path, "--param", parameter);
        Assert.Equal(2, exit);
        Assert.Contains(expected, error);
        Assert.Contains("Declared parameters:\n  int Epochs = 5\n  int TrainSubset = 60000", error.Replace("\r", ""));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task ParametersNeedAParametersCell()
    {
        string path = Save(Notebook("var Epochs = 5;"), NewDirectory());
        var (exit, _, error) = await RunCli("run", path, "--param", "Epochs=1");
        Assert.Equal(2, exit);
        Assert.Contains("no code cell tagged 'parameters'", error);
    }

    [Fact]
    public void LiteralsAreValidCSharp()
    {
        Assert.Equal("\"a \\\"quoted\\\" \\\\ path\"", NotebookParameters.FormatLiteral("string", "a \"quoted\" \\ path"));
        Assert.Equal("0.5f", NotebookParameters.FormatLiteral("float", "0.5"));
        Assert.Equal("1E-05d", NotebookParameters.FormatLiteral("double", "1e-5"));
        Assert.Equal("12L", NotebookParameters.FormatLiteral("long", "12"));
        Assert.Equal("2.5m", NotebookParameters.FormatLiteral("decimal", "2.5"));
        Assert.Equal("null", NotebookParameters.FormatLiteral("int?", "null"));
    }
}
