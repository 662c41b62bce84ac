namespace ClinFuse.Core.Randomness;

/// <summary>
/// Derives independent, reproducible seeds from one run seed, so that every random choice of a run
/// (initialisation, shuffling, augmentation, noise, synthetic data) is fixed by the run seed and a
/// name, never by call order or thread timing.
/// </summary>
public static class Seeds
{
    /// <summary>A seed for the purpose <paramref name="purpose"/> and the indices (epoch, sample id, …).</summary>
    public static ulong Derive(ulong runSeed, string purpose, params ReadOnlySpan<long> indices)
    {
        ulong h = SplitMix64(runSeed ^ 0x9E3779B97F4A7C15UL);
        foreach (char c in purpose) h = SplitMix64(h ^ c);
        foreach (long i in indices) h = SplitMix64(h ^ (ulong)i);
        return h;
    }

    /// <summary>
    /// A <see cref="Random"/> seeded from <see cref="Derive"/>. A seeded <c>new Random(int)</c> uses
    /// .NET's legacy algorithm, whose sequence is stable across .NET versions.
    /// </summary>
    public static Random Rng(ulong runSeed, string purpose, params ReadOnlySpan<long> indices) =>
        new((int)(Derive(runSeed, purpose, indices) & 0x7FFFFFFF));

    /// <summary>One step of splitmix64 (Steele, Lea, Flood 2014): a bijective 64-bit mixer.</summary>
    public static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
