using System.Text;

namespace ClinFuse.Core.Randomness;

/// <summary>
/// Where every random choice of ClinFuse gets its seed. The scheme is <see cref="Derive"/>: a seed
/// from the run seed, a purpose name and indices (epoch, sample id, …), so that a choice is fixed by
/// the run seed and its name, never by call order or thread timing. Draws come from
/// <see cref="SeededRandom"/> or, for the model, from torch generators seeded with a derived seed.
/// <para>
/// Older streams whose outputs are recorded results (golden tests, the demo's metrics) keep their
/// algorithm and are named here so that all of them are found in one place: the noise streams'
/// per-sample seeds (<see cref="ForSample"/>, <see cref="ForId"/>); System.Random for the subject split,
/// the bootstrap, the augmentation draws and the series-noise sample (<see cref="SystemRandom(int)"/>);
/// the epoch plan's shuffle (an iterated <see cref="SplitMix64"/>); and the synthetic cohort's own
/// xoshiro256** generator (<c>SynthRandom</c>, whose byte stream is the cohort's contract).
/// Changing any of them changes those results; new code draws from a <see cref="SeededRandom"/>
/// seeded with <see cref="Derive"/>.
/// </para>
/// </summary>
public static class Seeds
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>A seed for the purpose <paramref name="purpose"/> and the indices (epoch, sample id, …).</summary>
    public static ulong Derive(ulong runSeed, string purpose, params ReadOnlySpan<long> indices)
    {
        ulong h = SplitMix64(runSeed ^ Golden);
        foreach (char c in purpose) h = SplitMix64(h ^ c);
        foreach (long i in indices) h = SplitMix64(h ^ (ulong)i);
        return h;
    }

    /// <summary>The series-noise stream's seed for one sample: <c>Mix(seed ^ SplitMix64(sampleId))</c>.</summary>
    public static ulong ForSample(ulong seed, long sampleId) => Mix(seed ^ SplitMix64(unchecked((ulong)sampleId)));

    /// <summary>The image-noise stream's seed for one sample id: FNV-1a of its UTF-8 bytes, offset by <paramref name="seed"/> (string hash codes vary per process).</summary>
    public static ulong ForId(int seed, string id)
    {
        ulong hash = 14695981039346656037UL ^ (ulong)(uint)seed;
        foreach (byte b in Encoding.UTF8.GetBytes(id))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    /// <summary>
    /// A seeded <see cref="Random"/>. .NET runs a seeded instance on its original subtractive
    /// generator (Knuth's; unseeded instances use another algorithm), kept unchanged for
    /// compatibility but not a documented contract: <c>SystemRandomTests</c> checks it against an
    /// independent implementation, so a runtime that changed it fails that test instead of silently
    /// changing splits, bootstrap intervals and augmentations.
    /// </summary>
    public static Random SystemRandom(int seed) => new(seed);

    /// <summary>A seeded <see cref="Random"/> from the low 31 bits of a derived seed.</summary>
    public static Random SystemRandom(ulong seed) => SystemRandom((int)(seed & 0x7FFFFFFF));

    /// <summary>A seeded <see cref="Random"/> for a purpose (<see cref="Derive"/>, then <see cref="SystemRandom(ulong)"/>).</summary>
    public static Random Rng(ulong runSeed, string purpose, params ReadOnlySpan<long> indices) =>
        SystemRandom(Derive(runSeed, purpose, indices));

    /// <summary>One step of splitmix64: the golden-ratio increment, then <see cref="Mix"/> (a bijection of 64-bit words).</summary>
    public static ulong SplitMix64(ulong x) => Mix(unchecked(x + Golden));

    /// <summary>splitmix64's finaliser: a bijective 64-bit mixer.</summary>
    public static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
