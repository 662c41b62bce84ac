namespace ClinFuse.Core.Randomness;

/// <summary>
/// ClinFuse's random generator: a SplitMix64 stream (Steele, Lea, Flood 2014), fully specified by
/// this code, so a seed gives the same draws on every platform and .NET version. Seed it for a named
/// purpose with <see cref="Seeds.Derive"/>; <see cref="Seeds"/> also names the older streams that are
/// kept because their outputs are recorded results.
/// </summary>
public struct SeededRandom(ulong seed)
{
    ulong state = seed;

    /// <summary>64 random bits.</summary>
    public ulong NextUInt64()
    {
        state = unchecked(state + 0x9E3779B97F4A7C15UL);
        return Seeds.Mix(state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) (Lemire's multiply-shift with rejection, unbiased).</summary>
    public int NextInt(int n)
    {
        ulong range = (ulong)n;
        ulong threshold = unchecked(0UL - range) % range;
        while (true)
        {
            ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
            if (low >= threshold) return (int)high;
        }
    }

    /// <summary>Standard normal draw (Box–Muller; one of the pair is discarded to keep the state a single word).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Puts a uniform random choice of <paramref name="count"/> distinct elements of <paramref name="items"/> at its front (partial Fisher–Yates).</summary>
    public void ChooseFront(Span<int> items, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int j = i + NextInt(items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
