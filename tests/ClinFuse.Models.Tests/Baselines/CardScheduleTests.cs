using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Baselines;

/// <summary>CARD's schedule, forward process and reverse-step coefficients against independent derivations.</summary>
public sealed class CardScheduleTests
{
    public CardScheduleTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    [Fact]
    public void Alpha_bar_is_the_running_product_of_one_minus_linear_betas()
    {
        var schedule = new CardSchedule(5, 0.1, 0.5);
        // β = 0.1, 0.2, 0.3, 0.4, 0.5 → ᾱ = 0.9, 0.72, 0.504, 0.3024, 0.1512 (by hand).
        double[] expected = [0.9, 0.72, 0.504, 0.3024, 0.1512];
        for (int t = 0; t < 5; t++)
        {
            Assert.Equal(0.1 * (t + 1), schedule.Beta(t), 12);
            Assert.Equal(expected[t], schedule.AlphaBar(t), 12);
        }
    }

    [Fact]
    public void Card_defaults_match_pytorch_linspace_and_cumprod()
    {
        var schedule = new CardSchedule(1000);
        // torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=float64)) with PyTorch 1.13.
        Assert.Equal(0.9999, schedule.AlphaBar(0), 12);
        Assert.Equal(0.07858724288177824, schedule.AlphaBar(499), 10);
        Assert.Equal(4.035829765375676e-05, schedule.AlphaBar(999), 14);
    }

    /// <summary>
    /// The posterior q(y_{t−1} | y_t, y₀, f) by Gaussian conditioning: prior y_{t−1} ~ N(√ᾱ_{t−1}y₀ + (1 − √ᾱ_{t−1})f,
    /// 1 − ᾱ_{t−1}), likelihood y_t | y_{t−1} ~ N(√α_t·y_{t−1} + (1 − √α_t)f, β_t). Precision-weighted mean and variance.
    /// </summary>
    static (double Mean, double Variance) BayesPosterior(CardSchedule s, int t, double y0, double yt, double f)
    {
        double beta = s.Beta(t), alpha = 1 - beta, barPrev = s.AlphaBar(t - 1);
        double priorMean = Math.Sqrt(barPrev) * y0 + (1 - Math.Sqrt(barPrev)) * f, priorVariance = 1 - barPrev;
        double precision = alpha / beta + 1 / priorVariance;
        double mean = (Math.Sqrt(alpha) * (yt - (1 - Math.Sqrt(alpha)) * f) / beta + priorMean / priorVariance) / precision;
        return (mean, 1 / precision);
    }

    [Theory]
    [InlineData(1, 1.0, 0.3, 0.7)]
    [InlineData(7, 0.0, -1.2, 0.4)]
    [InlineData(19, 1.0, 2.5, 0.05)]
    public void Reverse_coefficients_equal_gaussian_conditioning(int t, double y0, double yt, double f)
    {
        var schedule = new CardSchedule(20, 1e-3, 0.2);
        var p = schedule.Posterior(t);
        var (mean, variance) = BayesPosterior(schedule, t, y0, yt, f);
        Assert.Equal(mean, p.Gamma0 * y0 + p.Gamma1 * yt + p.Gamma2 * f, 10);
        Assert.Equal(variance, p.Variance, 12);
    }

    [Fact]
    public void Posterior_outside_one_to_t_minus_one_is_refused_and_bad_schedules_name_the_setting()
    {
        var schedule = new CardSchedule(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Posterior(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Posterior(10));
        Assert.Contains("steps", Assert.Throws<ClinFuseException>(() => new CardSchedule(1)).Message);
        Assert.Contains("β", Assert.Throws<ClinFuseException>(() => new CardSchedule(10, 0.5, 0.1)).Message);
    }

    [Fact]
    public void Q_sample_is_the_closed_form_and_the_reparameterised_y0_inverts_it()
    {
        using var scope = NewDisposeScope();
        var schedule = new CardSchedule(10, 0.05, 0.3);
        var y0 = tensor(new float[,] { { 1, 0 }, { 0, 1 } });
        var f = tensor(new float[,] { { 0.2f, 0.6f }, { 0.9f, 0.1f } });
        var noise = tensor(new float[,] { { 0.5f, -1 }, { 2, 0.25f } });
        var t = tensor(new long[] { 3, 8 });
        var yt = schedule.QSample(y0, f, t, noise);
        for (int row = 0; row < 2; row++)
        {
            int step = row == 0 ? 3 : 8;
            double a = Math.Sqrt(schedule.AlphaBar(step)), s = Math.Sqrt(1 - schedule.AlphaBar(step));
            for (int col = 0; col < 2; col++)
            {
                double expected = a * y0[row, col].item<float>() + (1 - a) * f[row, col].item<float>() + s * noise[row, col].item<float>();
                Assert.Equal(expected, yt[row, col].item<float>(), 5);
            }
            var back = schedule.ReparameterisedY0(yt[row..(row + 1)], f[row..(row + 1)], noise[row..(row + 1)], step);
            Assert.True(back.allclose(y0[row..(row + 1)], atol: 1e-5), $"row {row}");
        }
    }

    [Fact]
    public void Q_sample_has_the_documented_mean_and_variance_and_ends_near_the_prior()
    {
        using var scope = NewDisposeScope();
        var schedule = new CardSchedule(1000);
        const int draws = 40_000;
        var generator = new Generator(5);
        foreach (int step in new[] { 10, 500, 999 })
        {
            var y0 = ones(draws, 1);
            var f = full(draws, 1, 0.3f);
            var yt = schedule.QSample(y0, f, full(draws, step, dtype: ScalarType.Int64), randn(draws, 1, generator: generator));
            double a = Math.Sqrt(schedule.AlphaBar(step));
            double mean = a * 1 + (1 - a) * 0.3, variance = 1 - schedule.AlphaBar(step);
            // Standard error of the mean is sqrt(var / n) ≤ 0.005; of the variance ≤ var·sqrt(2/n) ≈ 0.007·var.
            Assert.InRange(yt.mean().item<float>(), mean - 0.02, mean + 0.02);
            Assert.InRange(yt.var().item<float>(), variance * 0.96 - 1e-6, variance * 1.04 + 1e-6);
        }
    }
}
