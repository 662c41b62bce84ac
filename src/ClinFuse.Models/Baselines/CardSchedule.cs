using static TorchSharp.torch;

namespace ClinFuse.Models.Baselines;

/// <summary>CARD's reverse-step coefficients for step t → t − 1 (t ≥ 1), Han et al. 2022, eq. (7)–(8).</summary>
/// <param name="Gamma0">Weight of the reparameterised ŷ₀: β_t·√ᾱ_{t−1} / (1 − ᾱ_t).</param>
/// <param name="Gamma1">Weight of y_t: (1 − ᾱ_{t−1})·√α_t / (1 − ᾱ_t).</param>
/// <param name="Gamma2">Weight of f(x): 1 + (√ᾱ_t − 1)(√α_t + √ᾱ_{t−1}) / (1 − ᾱ_t).</param>
/// <param name="Variance">Posterior variance β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t.</param>
public sealed record CardPosterior(double Gamma0, double Gamma1, double Gamma2, double Variance);

/// <summary>
/// CARD's diffusion schedule: β linear from <see cref="BetaStart"/> to <see cref="BetaEnd"/> over T steps
/// (indices 0 … T−1 as in CARD's code), α_t = 1 − β_t, ᾱ_t = Π_{s≤t} α_s, and the forward process
/// q(y_t | y₀, f(x)) = N(√ᾱ_t·y₀ + (1 − √ᾱ_t)·f(x), (1 − ᾱ_t)·I), whose end point is N(f(x), I).
/// </summary>
public sealed class CardSchedule
{
    readonly double[] betas, alphaBars;
    readonly Tensor sqrtAlphaBar, sqrtOneMinusAlphaBar;

    /// <summary>Diffusion steps T.</summary>
    public int Steps { get; }
    /// <summary>β at the first step.</summary>
    public double BetaStart { get; }
    /// <summary>β at the last step.</summary>
    public double BetaEnd { get; }

    /// <summary>Builds the schedule (CARD's defaults: T = 1000, β from 1e−4 to 0.02).</summary>
    public CardSchedule(int steps, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        Baseline.Require(steps >= 2, $"diffusion steps must be at least 2, got {steps}");
        Baseline.Require(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd, $"β must satisfy 0 < start ≤ end < 1, got {betaStart} … {betaEnd}");
        Steps = steps;
        BetaStart = betaStart;
        BetaEnd = betaEnd;
        betas = new double[steps];
        alphaBars = new double[steps];
        double product = 1;
        for (int t = 0; t < steps; t++)
        {
            betas[t] = betaStart + (betaEnd - betaStart) * t / (steps - 1);
            product *= 1 - betas[t];
            alphaBars[t] = product;
        }
        var sqrtBars = new float[steps];
        var sqrtOneMinus = new float[steps];
        for (int t = 0; t < steps; t++)
        {
            sqrtBars[t] = (float)Math.Sqrt(alphaBars[t]);
            sqrtOneMinus[t] = (float)Math.Sqrt(1 - alphaBars[t]);
        }
        sqrtAlphaBar = tensor(sqrtBars).DetachFromDisposeScope();
        sqrtOneMinusAlphaBar = tensor(sqrtOneMinus).DetachFromDisposeScope();
    }

    /// <summary>β_t.</summary>
    public double Beta(int t) => betas[t];

    /// <summary>ᾱ_t.</summary>
    public double AlphaBar(int t) => alphaBars[t];

    /// <summary>
    /// y_t = √ᾱ_t·y₀ + (1 − √ᾱ_t)·f(x) + √(1 − ᾱ_t)·ε for per-row steps <paramref name="t"/> [B] (int64),
    /// <paramref name="y0"/>, <paramref name="prior"/> and <paramref name="noise"/> [B, L].
    /// </summary>
    public Tensor QSample(Tensor y0, Tensor prior, Tensor t, Tensor noise)
    {
        var a = sqrtAlphaBar.to(y0.device).index_select(0, t).unsqueeze(1);
        var s = sqrtOneMinusAlphaBar.to(y0.device).index_select(0, t).unsqueeze(1);
        return a * y0 + (1 - a) * prior + s * noise;
    }

    /// <summary>The reverse-step coefficients for t → t − 1; t in 1 … T−1.</summary>
    public CardPosterior Posterior(int t)
    {
        if (t < 1 || t >= Steps) throw new ArgumentOutOfRangeException(nameof(t), t, $"the posterior exists for t in 1..{Steps - 1}");
        double alpha = 1 - betas[t], bar = alphaBars[t], barPrev = alphaBars[t - 1];
        double oneMinusBar = 1 - bar;
        return new CardPosterior(
            betas[t] * Math.Sqrt(barPrev) / oneMinusBar,
            (1 - barPrev) * Math.Sqrt(alpha) / oneMinusBar,
            1 + (Math.Sqrt(bar) - 1) * (Math.Sqrt(alpha) + Math.Sqrt(barPrev)) / oneMinusBar,
            (1 - barPrev) / oneMinusBar * betas[t]);
    }

    /// <summary>
    /// ŷ₀ recovered from y_t and the predicted noise: (y_t − (1 − √ᾱ_t)·f(x) − √(1 − ᾱ_t)·ε̂) / √ᾱ_t.
    /// </summary>
    public Tensor ReparameterisedY0(Tensor yt, Tensor prior, Tensor predictedNoise, int t)
    {
        double a = Math.Sqrt(alphaBars[t]);
        return (yt - (1 - a) * prior - Math.Sqrt(1 - alphaBars[t]) * predictedNoise) / a;
    }
}
