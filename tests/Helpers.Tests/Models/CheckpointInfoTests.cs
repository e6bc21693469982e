using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Models;
using static ModelSecurity.Tests.Models.CheckpointTestData;

namespace ModelSecurity.Tests.Models;

[Collection(ModelsCollection.Name)]
public class CheckpointInfoTests
{
    [Fact]
    public void SerializesWithDefaultSystemTextJsonOptions()
    {
        CheckpointInfo info = FullInfo("small-cnn");
        string json = JsonSerializer.Serialize(info);
        Assert.Equal(info, JsonSerializer.Deserialize<CheckpointInfo>(json));
    }

    [Fact]
    public void ToJsonUsesCamelCaseAndReadsBack()
    {
        CheckpointInfo info = FullInfo("mlp");
        string json = info.ToJson();
        Assert.Contains("\"architecture\": \"mlp\"", json);
        Assert.Contains("\"testAccuracy\": 0.9123456789012345", json);
        Assert.Equal(info, CheckpointInfo.FromJson(json));
    }

    [Fact]
    public void EqualityComparesRecipeAndExtraByContent()
    {
        CheckpointInfo a = FullInfo("mlp");
        CheckpointInfo b = FullInfo("mlp"); // new JsonObject and dictionary instances
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Recipe = new JsonObject { ["optimizer"] = "adam" } });
        Assert.NotEqual(a, b with { Extra = new Dictionary<string, string> { ["epsilon"] = "0.3" } });
        Assert.NotEqual(a, b with { Seed = 1 });
        Assert.NotEqual(a, b with { Recipe = null });
    }

    [Fact]
    public void DefaultsDescribeThisLibraryAndNow()
    {
        var before = DateTimeOffset.UtcNow;
        var info = new CheckpointInfo { Architecture = "linear", Dataset = "mnist", NumClasses = 10, Seed = 0 };
        Assert.InRange(info.CreatedUtc, before, DateTimeOffset.UtcNow);
        Assert.Equal(CheckpointInfo.CurrentLibraryVersion, info.LibraryVersion);
        Assert.Equal(Checkpoint.FormatVersion, info.FormatVersion);
        Assert.Null(info.Recipe);
        Assert.Null(info.Extra);
    }

    [Fact]
    public void RequiredFieldsMustBePresentInJson()
    {
        var error = Assert.Throws<JsonException>(() => CheckpointInfo.FromJson("""{ "dataset": "mnist" }"""));
        Assert.Contains("architecture", error.Message);
    }
}
