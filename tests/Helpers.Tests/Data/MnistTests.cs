using System.Net;
using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Data;

[Collection(TorchCollection.Name)]
public class MnistTests : IDisposable
{
    private const int N = 12;
    private readonly TempFolder _source = new();
    private readonly TempFolder _cache = new();
    private readonly Dictionary<string, string> _sha256 = new();
    private readonly Dictionary<string, byte[]> _bytes = new();

    public MnistTests()
    {
        TestData.WriteSplit(_source.Path, "t10k", N, seed: 1);
        TestData.WriteSplit(_source.Path, "train", N + 4, seed: 2);
        foreach (string name in Mnist.AllFileNames)
        {
            _bytes[name] = File.ReadAllBytes(_source.File(name));
            _sha256[name] = Checksums.Sha256(_source.File(name));
        }
    }

    public void Dispose()
    {
        _source.Dispose();
        _cache.Dispose();
    }

    private MnistOptions Options(IReadOnlyList<Uri> mirrors, TextWriter? progress = null, HttpMessageHandler? handler = null) => new()
    {
        CacheDirectory = _cache.Path,
        Mirrors = mirrors,
        Sha256 = _sha256,
        Handler = handler ?? new SocketsHttpHandler { UseProxy = false },
        Timeout = TimeSpan.FromSeconds(20),
        Progress = progress ?? TextWriter.Null,
    };

    private LoopbackServer ServerWith(string folder)
    {
        var server = new LoopbackServer();
        foreach (var (name, bytes) in _bytes) server.Serve($"{folder}/{name}", bytes);
        return server;
    }

    private static void AssertIsTheTestSplit(ImageDataset data)
    {
        Assert.Equal("MNIST test", data.Name);
        Assert.Equal(N, data.Count);
        Assert.Equal(new long[] { N, 1, 28, 28 }, data.Images.shape);
        Assert.Equal(Enumerable.Range(0, N).Select(i => (long)(i % 10)), data.Labels.data<long>().ToArray());
        Assert.Equal(Mnist.ClassNames, data.ClassNames);
    }

    private void AssertNoPartialFiles() =>
        Assert.DoesNotContain(Directory.GetFiles(_cache.Path), f => !Mnist.AllFileNames.Contains(Path.GetFileName(f)));

    [Fact]
    public async Task DownloadsOverHttpVerifiesCachesAndShowsProgress()
    {
        using var scope = NewDisposeScope();
        using var server = ServerWith("mnist");
        var log = new StringWriter();
        var options = Options([new Uri(server.BaseAddress, "mnist/")], log);

        using (var data = await Mnist.LoadAsync(DataSplit.Test, options)) AssertIsTheTestSplit(data);
        Assert.Equal(1, server.Requests("mnist/t10k-images-idx3-ubyte.gz"));
        Assert.Equal(1, server.Requests("mnist/t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(2, server.TotalRequests);
        Assert.Equal(_bytes["t10k-images-idx3-ubyte.gz"], File.ReadAllBytes(_cache.File("t10k-images-idx3-ubyte.gz")));
        AssertNoPartialFiles();
        string progress = log.ToString();
        Assert.Contains("t10k-images-idx3-ubyte.gz", progress);
        Assert.Contains($"{_bytes["t10k-images-idx3-ubyte.gz"].Length:N0} bytes (100 %)", progress);
        Assert.True(progress.Split('\n').Length < 20, progress);

        using (var again = await Mnist.LoadAsync(DataSplit.Test, options)) AssertIsTheTestSplit(again);
        Assert.Equal(2, server.TotalRequests); // served from the cache
    }

    [Fact]
    public async Task AWrongChecksumOnTheFirstMirrorFallsBackToTheSecond()
    {
        using var scope = NewDisposeScope();
        using var server = ServerWith("good");
        using var tampered = new TempFolder();
        TestData.WriteSplit(tampered.Path, "t10k", N, seed: 99); // valid IDX, different pixels
        foreach (string name in new[] { "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            server.Serve($"evil/{name}", File.ReadAllBytes(tampered.File(name)));
        server.Serve("evil/t10k-labels-idx1-ubyte.gz", _bytes["t10k-labels-idx1-ubyte.gz"]); // only the images differ
        var log = new StringWriter();

        using var data = await Mnist.LoadAsync(DataSplit.Test,
            Options([new Uri(server.BaseAddress, "evil/"), new Uri(server.BaseAddress, "good/")], log));
        AssertIsTheTestSplit(data);
        Assert.Equal(_bytes["t10k-images-idx3-ubyte.gz"], File.ReadAllBytes(_cache.File("t10k-images-idx3-ubyte.gz")));
        Assert.Equal(1, server.Requests("evil/t10k-images-idx3-ubyte.gz"));
        Assert.Equal(1, server.Requests("good/t10k-images-idx3-ubyte.gz"));
        Assert.Equal(0, server.Requests("good/t10k-labels-idx1-ubyte.gz"));
        Assert.Contains("checksum mismatch", log.ToString());
        AssertNoPartialFiles();
    }

    [Fact]
    public async Task UnreachableMirrorsGiveAnExplanationWithTheOfflineHint()
    {
        var refused = new Uri($"http://127.0.0.1:{LoopbackServer.FreePort()}/mnist/");
        var unresolvable = new Uri("https://mirror.invalid/mnist/");
        var handler = new RoutingHandler(request => request.RequestUri!.Host == "mirror.invalid"
            ? throw new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (mirror.invalid:443)")
            : null);

        var e = await Assert.ThrowsAsync<MnistDownloadException>(() =>
            Mnist.LoadAsync(DataSplit.Train, Options([refused, unresolvable], handler: handler)));
        Assert.Equal("train-images-idx3-ubyte.gz", e.FileName);
        Assert.Equal(2, e.Failures.Count);
        Assert.True(e.LooksOffline);
        Assert.Contains(new Uri(refused, "train-images-idx3-ubyte.gz").AbsoluteUri, e.Message);
        Assert.Contains(new Uri(unresolvable, "train-images-idx3-ubyte.gz").AbsoluteUri, e.Message);
        Assert.Contains("Name or service not known", e.Message);
        Assert.Contains("offline", e.Message);
        Assert.Contains(_cache.Path, e.Message);
        Assert.All(Mnist.AllFileNames, name => Assert.Contains(name, e.Message));
        Assert.Contains("FashionMnist.Load(DataSplit.Train)", e.Message);
        AssertNoPartialFiles();
    }

    [Fact]
    public async Task MirrorsThatAnswerBadlyAreNotCalledOffline()
    {
        using var server = new LoopbackServer(); // serves nothing: 404
        var e = await Assert.ThrowsAsync<MnistDownloadException>(() =>
            Mnist.LoadAsync(DataSplit.Test, Options([new Uri(server.BaseAddress, "a/"), new Uri(server.BaseAddress, "b/")])));
        Assert.False(e.LooksOffline);
        Assert.DoesNotContain("offline", e.Message);
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains(_cache.Path, e.Message);
        Assert.All(e.Failures, f => Assert.False(f.IsNetworkError));
    }

    [Fact]
    public async Task ASlowMirrorTimesOutAndCountsAsANetworkError()
    {
        var handler = new RoutingHandler(_ => null, delay: Timeout.InfiniteTimeSpan);
        var options = Options([new Uri("https://slow.example/")], handler: handler);
        options = new MnistOptions
        {
            CacheDirectory = options.CacheDirectory, Mirrors = options.Mirrors, Sha256 = options.Sha256, Handler = handler,
            Progress = TextWriter.Null, Timeout = TimeSpan.FromMilliseconds(200),
        };
        var e = await Assert.ThrowsAsync<MnistDownloadException>(() => Mnist.LoadAsync(DataSplit.Test, options));
        Assert.Contains("timed out", e.Message);
        Assert.True(e.LooksOffline);
    }

    [Fact]
    public async Task AFileMirrorCopiesFromDisk()
    {
        using var scope = NewDisposeScope();
        var mirror = new Uri(_source.Path); // no trailing slash on purpose
        using var data = await Mnist.LoadAsync(DataSplit.Test, Options([new Uri("file:///nonexistent-mirror/"), mirror]));
        AssertIsTheTestSplit(data);
        Assert.True(File.Exists(_cache.File("t10k-labels-idx1-ubyte.gz")));
        AssertNoPartialFiles();
    }

    [Fact]
    public async Task ACorruptCachedFileIsDownloadedAgain()
    {
        using var scope = NewDisposeScope();
        using var server = ServerWith("m");
        File.WriteAllBytes(_cache.File("t10k-labels-idx1-ubyte.gz"), [1, 2, 3]);
        File.Copy(_source.File("t10k-images-idx3-ubyte.gz"), _cache.File("t10k-images-idx3-ubyte.gz"));
        using var data = await Mnist.LoadAsync(DataSplit.Test, Options([new Uri(server.BaseAddress, "m/")]));
        AssertIsTheTestSplit(data);
        Assert.Equal(0, server.Requests("m/t10k-images-idx3-ubyte.gz"));
        Assert.Equal(1, server.Requests("m/t10k-labels-idx1-ubyte.gz"));
    }

    [Fact]
    public async Task Md5IsUsedOnlyWhenNoSha256IsGiven()
    {
        using var scope = NewDisposeScope();
        var md5 = Mnist.AllFileNames.ToDictionary(n => n, n => Checksums.Md5(_source.File(n)));
        var mirror = new Uri(_source.Path + "/");
        var options = new MnistOptions
        {
            CacheDirectory = _cache.Path, Mirrors = [mirror], Sha256 = new Dictionary<string, string>(), Md5 = md5, Progress = TextWriter.Null,
        };
        using (var data = await Mnist.LoadAsync(DataSplit.Test, options)) AssertIsTheTestSplit(data);

        var wrong = new MnistOptions
        {
            CacheDirectory = new TempFolder().Path, Mirrors = [mirror], Sha256 = new Dictionary<string, string>(),
            Md5 = MnistOptions.DefaultMd5, Progress = TextWriter.Null,
        };
        var e = await Assert.ThrowsAsync<MnistDownloadException>(() => Mnist.LoadAsync(DataSplit.Test, wrong));
        Assert.Contains("checksum mismatch: expected MD5 9fb629c4189551a2d022fa330f9573f3", e.Message);
        Directory.Delete(wrong.CacheDirectory, recursive: true);

        var none = new MnistOptions
        {
            CacheDirectory = _cache.Path, Mirrors = [mirror], Sha256 = new Dictionary<string, string>(),
            Md5 = new Dictionary<string, string>(), Progress = TextWriter.Null,
        };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Mnist.LoadAsync(DataSplit.Test, none));
        Assert.Contains("unverified", refused.Message);
    }

    [Fact]
    public void DefaultsAreTheTorchvisionMirrorsAndTheCanonicalChecksums()
    {
        var defaults = new MnistOptions();
        Assert.Equal(
            new[] { "https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/" },
            defaults.Mirrors.Select(m => m.AbsoluteUri));
        Assert.Equal(Mnist.AllFileNames.Order(), defaults.Sha256.Keys.Order());
        Assert.Equal(Mnist.AllFileNames.Order(), defaults.Md5.Keys.Order());
        Assert.Equal("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", defaults.Sha256["train-images-idx3-ubyte.gz"]);
        Assert.Null(defaults.Handler);
    }

    /// <summary>A handler that answers with a route's response, or fails, or forwards to a real socket handler; optional delay.</summary>
    private sealed class RoutingHandler(Func<HttpRequestMessage, HttpResponseMessage?> route, TimeSpan? delay = null)
        : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (delay is { } wait) await Task.Delay(wait, ct);
            return route(request) ?? await base.SendAsync(request, ct);
        }
    }
}
