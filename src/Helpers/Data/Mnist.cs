using System.Diagnostics;
using System.Net;

namespace ModelSecurity.Data;

/// <summary>
/// MNIST handwritten digits, downloaded on first use from public mirrors into a cache folder and verified by checksum.
/// Unlike Fashion-MNIST, MNIST is not shipped with the course.
/// </summary>
/// <remarks>
/// For each file: a cached copy that matches its checksum is used as is; otherwise each mirror is tried in order,
/// downloading to a temporary file that is verified and only then moved into place, so the cache never holds a
/// partial or unverified file. A mismatch discards the download and moves on to the next mirror.
/// </remarks>
public static class Mnist
{
    /// <summary>Largest file accepted from a mirror (the largest MNIST file is under 10 MB).</summary>
    internal const long MaxDownloadBytes = 128L << 20;

    /// <summary>Class names, indexed by label: "0" to "9".</summary>
    public static string[] ClassNames => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>The four file names, as on the mirrors and in the cache folder.</summary>
    public static IReadOnlyList<string> AllFileNames { get; } = Array.AsReadOnly(new[]
    {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    });

    /// <summary>File names of a split's images and labels.</summary>
    public static (string Images, string Labels) FileNames(DataSplit split) => FashionMnist.FileNames(split);

    /// <summary>
    /// Loads a split of MNIST: 60 000 (train) or 10 000 (test) images as float32 (N, 1, 28, 28) in [0, 1] with int64 labels,
    /// downloading and verifying the two files first when the cache does not already hold verified copies.
    /// </summary>
    /// <param name="split">Train or test.</param>
    /// <param name="options">Cache folder, mirrors, checksums, HTTP handler, timeout; null for the defaults.</param>
    /// <param name="ct">Cancels the download.</param>
    /// <exception cref="MnistDownloadException">No mirror provided a verified copy of a file; the message explains each failure and what to do.</exception>
    /// <exception cref="InvalidOperationException">The options give no checksum for a needed file.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static async Task<ImageDataset> LoadAsync(DataSplit split, MnistOptions? options = null, CancellationToken ct = default)
    {
        options ??= new MnistOptions();
        string cache = Path.GetFullPath(options.CacheDirectory);
        Directory.CreateDirectory(cache);
        (string imagesName, string labelsName) = FileNames(split);

        using var client = options.Handler != null
            ? new HttpClient(options.Handler, disposeHandler: false)
            : new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(20) }, disposeHandler: true);
        client.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // each file gets options.Timeout, see FetchHttpAsync
        client.DefaultRequestHeaders.UserAgent.ParseAdd("ModelSecurityCourse/1.0");

        var downloader = new Downloader(options, cache, split, client);
        string imagesPath = await downloader.EnsureAsync(imagesName, ct).ConfigureAwait(false);
        string labelsPath = await downloader.EnsureAsync(labelsName, ct).ConfigureAwait(false);
        string name = split == DataSplit.Train ? "MNIST train" : "MNIST test";
        return ImageDataset.FromIdx(name, imagesPath, labelsPath, ClassNames);
    }

    private sealed class Downloader(MnistOptions options, string cache, DataSplit split, HttpClient client)
    {
        private readonly TextWriter? _progress = options.Progress;

        /// <summary>Path of a verified copy of <paramref name="fileName"/> in the cache, downloading it when needed.</summary>
        public async Task<string> EnsureAsync(string fileName, CancellationToken ct)
        {
            (string algorithm, string expected) = ExpectedChecksum(fileName);
            string target = Path.Combine(cache, fileName);
            if (File.Exists(target))
            {
                try
                {
                    if (algorithm == "SHA-256") VerifiedFileCache.VerifySha256(target, expected);
                    else VerifiedFileCache.VerifyMd5(target, expected);
                    return target;
                }
                catch (InvalidDataException)
                {
                    _progress?.WriteLine($"MNIST: the cached {target} does not match its {algorithm} checksum; downloading it again.");
                    File.Delete(target);
                }
            }

            var failures = new List<MnistMirrorFailure>();
            foreach (Uri mirror in options.Mirrors)
            {
                Uri address = new(mirror.AbsoluteUri.EndsWith('/') ? mirror : new Uri(mirror.AbsoluteUri + "/"), fileName);
                string temporary = Path.Combine(cache, $"{fileName}.{Guid.NewGuid():N}.part");
                try
                {
                    if (address.IsFile) await CopyLocalAsync(address, temporary, fileName, ct).ConfigureAwait(false);
                    else if (address.Scheme is "http" or "https") await FetchHttpAsync(address, temporary, fileName, ct).ConfigureAwait(false);
                    else throw new BadAnswerException($"unsupported address scheme '{address.Scheme}' (use http, https or file)");

                    string actual = algorithm == "SHA-256" ? Checksums.Sha256(temporary) : Checksums.Md5(temporary);
                    if (actual != expected)
                        throw new BadAnswerException(
                            $"checksum mismatch: expected {algorithm} {expected}, got {actual} (corrupt download or tampered mirror; discarded)");
                    File.Move(temporary, target, overwrite: true);
                    return target;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (Describe(e, address) is { } failure)
                {
                    failures.Add(failure);
                    _progress?.WriteLine($"MNIST: {address} failed: {failure.Reason}");
                }
                finally
                {
                    if (File.Exists(temporary)) File.Delete(temporary);
                }
            }
            throw new MnistDownloadException(fileName, failures, Explain(fileName, failures));
        }

        private (string Algorithm, string Hex) ExpectedChecksum(string fileName)
        {
            if (options.Sha256.TryGetValue(fileName, out string? sha))
                return ("SHA-256", Checksums.NormalizeHex(sha, 64, nameof(MnistOptions.Sha256)));
            if (options.Md5.TryGetValue(fileName, out string? md5))
                return ("MD5", Checksums.NormalizeHex(md5, 32, nameof(MnistOptions.Md5)));
            throw new InvalidOperationException(
                $"MnistOptions gives no checksum for {fileName} (neither in Sha256 nor in Md5); the course refuses to use an " +
                "unverified download. Add its SHA-256 to MnistOptions.Sha256 (MnistOptions.DefaultSha256 has the canonical ones).");
        }

        private async Task FetchHttpAsync(Uri address, string temporary, string fileName, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Timeout);
            try
            {
                using var response = await client.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new BadAnswerException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                long? length = response.Content.Headers.ContentLength;
                if (length > MaxDownloadBytes)
                    throw new BadAnswerException($"the server announces {length} bytes, more than the {MaxDownloadBytes} accepted for an MNIST file");
                using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                await CopyAsync(body, temporary, length, fileName, address, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"timed out after {options.Timeout}", e);
            }
        }

        private async Task CopyLocalAsync(Uri address, string temporary, string fileName, CancellationToken ct)
        {
            string source = address.LocalPath;
            if (!File.Exists(source))
                throw new BadAnswerException($"no such file: {source}");
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await CopyAsync(input, temporary, input.Length, fileName, address, ct).ConfigureAwait(false);
        }

        /// <summary>Copies to a new temporary file, printing a progress line at most every 10 % and every half second.</summary>
        private async Task CopyAsync(Stream input, string temporary, long? length, string fileName, Uri address, CancellationToken ct)
        {
            _progress?.WriteLine($"MNIST: downloading {fileName} from {address}" + (length is { } l ? $" ({l:N0} bytes)" : ""));
            using var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            byte[] buffer = new byte[1 << 16];
            long written = 0;
            int nextPercent = 10;
            var clock = Stopwatch.StartNew();
            TimeSpan lastLine = TimeSpan.Zero;
            int n;
            while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                written += n;
                if (written > MaxDownloadBytes)
                    throw new BadAnswerException($"sent more than the {MaxDownloadBytes} bytes accepted for an MNIST file");
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                if (_progress == null || clock.Elapsed - lastLine < TimeSpan.FromSeconds(0.5)) continue;
                if (length is > 0 && written * 100 / length.Value >= nextPercent && written < length.Value)
                {
                    long percent = written * 100 / length.Value;
                    _progress.WriteLine($"MNIST: {fileName}: {written:N0} of {length.Value:N0} bytes ({percent} %)");
                    nextPercent = (int)(percent / 10 * 10 + 10);
                    lastLine = clock.Elapsed;
                }
                else if (length is null && clock.Elapsed - lastLine >= TimeSpan.FromSeconds(2))
                {
                    _progress.WriteLine($"MNIST: {fileName}: {written:N0} bytes so far");
                    lastLine = clock.Elapsed;
                }
            }
            if (length is { } expected && written != expected)
                throw new IOException($"the transfer ended after {written} of {expected} bytes");
            _progress?.WriteLine($"MNIST: {fileName}: {written:N0} bytes (100 %) in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        /// <summary>Turns an expected kind of failure into a report entry; null for anything else (a bug: let it propagate).</summary>
        private static MnistMirrorFailure? Describe(Exception e, Uri address)
        {
            bool remote = !address.IsFile;
            return e switch
            {
                BadAnswerException bad => new(address, bad.Message, false),
                HttpRequestException { StatusCode: HttpStatusCode code } => new(address, $"HTTP {(int)code}: {e.Message}", false),
                HttpRequestException http => new(address, $"network error ({http.HttpRequestError}): {Innermost(http)}", true),
                TimeoutException => new(address, $"network error: {e.Message}", true),
                IOException when remote => new(address, $"network error: the connection broke off: {Innermost(e)}", true),
                IOException or UnauthorizedAccessException => new(address, e.Message, false),
                _ => null,
            };
        }

        private static string Innermost(Exception e)
        {
            string message = e.Message;
            for (Exception? inner = e.InnerException; inner != null; inner = inner.InnerException)
                if (!string.IsNullOrWhiteSpace(inner.Message) && !message.Contains(inner.Message, StringComparison.Ordinal))
                    message += " — " + inner.Message;
            return message;
        }

        private string Explain(string fileName, IReadOnlyList<MnistMirrorFailure> failures)
        {
            var text = new System.Text.StringBuilder();
            if (failures.Count == 0)
                text.Append($"Could not obtain the MNIST file {fileName}: no mirrors are configured (MnistOptions.Mirrors is empty).");
            else
            {
                text.Append($"Could not obtain a verified copy of the MNIST file {fileName}; every mirror failed:");
                foreach (var failure in failures)
                    text.Append($"\n  - {failure.Address}: {failure.Reason}");
            }
            text.Append('\n');
            if (failures.Count > 0 && failures.All(f => f.IsNetworkError))
                text.Append("This machine seems to be offline: no mirror could be reached. Connect to the internet and retry, or ");
            else if (failures.Count > 0)
                text.Append("The mirrors that answered sent something unusable. Retry later, or ");
            else
                text.Append("Configure mirrors, or ");
            text.Append($"download the files on another machine and place them in {cache}: {string.Join(", ", AllFileNames)} ");
            text.Append("(they are checked against their checksums before use). ");
            text.Append($"Or use the Fashion-MNIST copy shipped with the course instead: FashionMnist.Load(DataSplit.{split}).");
            return text.ToString();
        }
    }

    /// <summary>A mirror answered, but with something unusable (error status, wrong checksum, too large, missing file).</summary>
    private sealed class BadAnswerException(string message) : Exception(message);
}
