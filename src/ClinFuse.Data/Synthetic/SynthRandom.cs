using ClinFuse.Core.Randomness;

namespace ClinFuse.Data.Synthetic;

/// <summary>
/// The synthetic cohort's generator: xoshiro256** seeded through SplitMix64 from (seed, stream,
/// substream). A seed names the same cohort, byte for byte, on every machine and release, so this
/// generator keeps its algorithm and seeding rather than <see cref="SeededRandom"/>'s; see <see cref="Seeds"/>.
/// </summary>
internal sealed class SynthRandom
{
    ulong s0, s1, s2, s3;
    double spareGaussian;
    bool hasSpare;

    /// <summary>A generator for stream <paramref name="stream"/> of run seed <paramref name="seed"/>.</summary>
    public SynthRandom(long seed, long stream = 0, long substream = 0)
    {
        // Chained bijective mixing: neighbouring seeds and stream numbers give unrelated states.
        ulong x = Mix(Mix(Mix((ulong)seed) ^ (ulong)stream) ^ (ulong)substream);
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
    }

    static ulong Mix(ulong z) => Seeds.Mix(z);

    static ulong SplitMix(ref ulong x) => Mix(x += 0x9E3779B97F4A7C15UL);

    /// <summary>64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    /// <summary>Uniform integer in [lo, hi] (both inclusive).</summary>
    public int NextInt(int lo, int hi) => lo + NextInt(hi - lo + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Marsaglia polar method).</summary>
    public double Gaussian()
    {
        if (hasSpare) { hasSpare = false; return spareGaussian; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        spareGaussian = v * f;
        hasSpare = true;
        return u * f;
    }

    /// <summary>Normal with the given mean and standard deviation.</summary>
    public double Gaussian(double mean, double sd) => mean + sd * Gaussian();

    /// <summary>Exponential with the given mean.</summary>
    public double Exponential(double mean) => -mean * Math.Log(1 - NextDouble());

    /// <summary>Log-normal with the given median and log-scale standard deviation.</summary>
    public double LogNormal(double median, double sigma) => median * Math.Exp(sigma * Gaussian());

    /// <summary>An index drawn from unnormalised <paramref name="weights"/>.</summary>
    public int PickIndex(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        double u = NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Length - 1;
    }
}
