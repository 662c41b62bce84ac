using ClinFuse.Core.Randomness;

namespace ClinFuse.Evaluation.Tests;

/// <summary>
/// The subject split, the bootstrap, image augmentation and the series-noise sample draw from a
/// seeded System.Random, whose algorithm .NET keeps but does not promise. This checks it against an
/// independent implementation of that algorithm (Knuth's subtractive generator as .NET seeds it),
/// so a runtime that changed it fails here instead of silently changing those results.
/// </summary>
public sealed class SystemRandomTests
{
    /// <summary>Knuth's subtractive generator (Numerical Recipes' ran3) with .NET's seeding and sampling.</summary>
    sealed class Subtractive
    {
        readonly int[] state = new int[56];
        int next, nextP = 21;

        public Subtractive(int seed)
        {
            int mj = 161803398 - (seed == int.MinValue ? int.MaxValue : Math.Abs(seed));
            state[55] = mj;
            int mk = 1, ii = 0;
            for (int i = 1; i < 55; i++)
            {
                if ((ii += 21) >= 55) ii -= 55;
                state[ii] = mk;
                mk = mj - mk;
                if (mk < 0) mk += int.MaxValue;
                mj = state[ii];
            }
            for (int k = 1; k < 5; k++)
                for (int i = 1; i < 56; i++)
                {
                    int n = i + 30;
                    if (n >= 55) n -= 55;
                    state[i] -= state[1 + n];
                    if (state[i] < 0) state[i] += int.MaxValue;
                }
        }

        int InternalSample()
        {
            if (++next >= 56) next = 1;
            if (++nextP >= 56) nextP = 1;
            int value = state[next] - state[nextP];
            if (value == int.MaxValue) value--;
            if (value < 0) value += int.MaxValue;
            state[next] = value;
            return value;
        }

        public double NextDouble() => InternalSample() * (1.0 / int.MaxValue);

        public int Next(int maxValue) => (int)(NextDouble() * maxValue);

        public int Next(int minValue, int maxValue) => (int)(NextDouble() * ((long)maxValue - minValue)) + minValue;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(2024)]
    [InlineData(int.MaxValue)]
    public void A_seeded_System_Random_is_the_subtractive_generator(int seed)
    {
        var random = Seeds.SystemRandom(seed);
        var reference = new Subtractive(seed);
        for (int i = 0; i < 2000; i++)
        {
            Assert.Equal(reference.Next(1 + i % 97), random.Next(1 + i % 97));
            Assert.Equal(reference.Next(i % 13, 50 + i), random.Next(i % 13, 50 + i));
            Assert.Equal(reference.NextDouble(), random.NextDouble());
        }
    }

    [Fact]
    public void Shuffle_is_Fisher_Yates_over_the_same_draws()
    {
        var shuffled = Enumerable.Range(0, 300).ToArray();
        Seeds.SystemRandom(7).Shuffle(shuffled);
        var expected = Enumerable.Range(0, 300).ToArray();
        var reference = new Subtractive(7);
        for (int i = 0; i < expected.Length - 1; i++)
        {
            int j = reference.Next(i, expected.Length);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }
        Assert.Equal(expected, shuffled);
    }

    [Fact]
    public void A_derived_seed_uses_its_low_31_bits()
    {
        ulong derived = Seeds.Derive(42, "augment", 3, 17);
        var expected = new Subtractive((int)(derived & 0x7FFFFFFF));
        var random = Seeds.SystemRandom(derived);
        for (int i = 0; i < 100; i++) Assert.Equal(expected.NextDouble(), random.NextDouble());
    }
}
