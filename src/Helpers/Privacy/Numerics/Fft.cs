namespace ModelSecurity.Privacy.Numerics;

/// <summary>
/// Radix-2 complex fast Fourier transform on separate real and imaginary arrays, and the convolutions built on it.
/// Twiddle factors come from one table of directly evaluated cosines and sines (no recurrence), so round-off stays
/// near machine precision times log₂ n.
/// </summary>
internal static class Fft
{
    /// <summary>The smallest power of two ≥ <paramref name="n"/>.</summary>
    public static int NextPowerOfTwo(long n)
    {
        if (n > 1 << 27) throw new InvalidOperationException($"an FFT of {n} points is beyond this implementation (at most 2^27).");
        var size = 1;
        while (size < n) size <<= 1;
        return size;
    }

    /// <summary>In-place transform: X_k = Σ x_j e^(∓2πi jk/n) (− forward, + inverse; the inverse divides by n).</summary>
    public static void Transform(double[] re, double[] im, bool inverse)
    {
        var n = re.Length;
        if (n != im.Length || (n & (n - 1)) != 0)
            throw new ArgumentException("FFT needs equal-length arrays whose length is a power of two.");
        if (n == 1) return;

        for (int i = 1, j = 0; i < n; i++)
        {
            var bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }

        var half = n / 2;
        var cos = new double[half];
        var sin = new double[half];
        var sign = inverse ? 1.0 : -1.0;
        for (var k = 0; k < half; k++)
        {
            var angle = 2 * Math.PI * k / n;
            cos[k] = Math.Cos(angle);
            sin[k] = sign * Math.Sin(angle);
        }

        for (var len = 2; len <= n; len <<= 1)
        {
            var halfLen = len >> 1;
            var stride = n / len;
            for (var start = 0; start < n; start += len)
            {
                for (var k = 0; k < halfLen; k++)
                {
                    double wr = cos[k * stride], wi = sin[k * stride];
                    int a = start + k, b = a + halfLen;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }

        if (inverse)
        {
            var scale = 1.0 / n;
            for (var i = 0; i < n; i++)
            {
                re[i] *= scale;
                im[i] *= scale;
            }
        }
    }

    /// <summary>The full linear convolution (length a + b − 1) of two real sequences.</summary>
    public static double[] Convolve(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var outLength = a.Length + b.Length - 1;
        var n = NextPowerOfTwo(outLength);
        double[] ar = new double[n], ai = new double[n], br = new double[n], bi = new double[n];
        a.CopyTo(ar);
        b.CopyTo(br);
        Transform(ar, ai, inverse: false);
        Transform(br, bi, inverse: false);
        for (var k = 0; k < n; k++)
        {
            var r = ar[k] * br[k] - ai[k] * bi[k];
            ai[k] = ar[k] * bi[k] + ai[k] * br[k];
            ar[k] = r;
        }
        Transform(ar, ai, inverse: true);
        return ar[..outLength];
    }

    /// <summary>
    /// The <paramref name="times"/>-fold convolution of <paramref name="values"/> with itself, reduced modulo
    /// <paramref name="length"/> (a circular convolution): entry r holds the sum of the exact result over all
    /// indices ≡ r (mod length). Raised to the power in the frequency domain in polar form.
    /// </summary>
    public static double[] CircularSelfConvolve(ReadOnlySpan<double> values, int times, int length)
    {
        double[] re = new double[length], im = new double[length];
        if (values.Length > length) throw new ArgumentException("the circular length must cover the input.");
        values.CopyTo(re);
        Transform(re, im, inverse: false);
        for (var k = 0; k < length; k++)
        {
            var modulus = Math.Sqrt(re[k] * re[k] + im[k] * im[k]);
            if (modulus == 0)
            {
                re[k] = im[k] = 0;
                continue;
            }
            var phase = Math.Atan2(im[k], re[k]) * times;
            var power = Math.Exp(times * Math.Log(modulus));
            re[k] = power * Math.Cos(phase);
            im[k] = power * Math.Sin(phase);
        }
        Transform(re, im, inverse: true);
        return re;
    }
}
