namespace ClinFuse.Data.Synthetic;

/// <summary>
/// The latent health state of one hospital admission (shared by its ICU stays). Each factor is an
/// independent standard normal. Which modality shows a factor is fixed by design:
/// the hourly series show <see cref="Instability"/>, <see cref="Metabolic"/>, <see cref="Neuro"/>
/// and <see cref="Fluid"/>; the chest X-rays show <see cref="Lung"/> and <see cref="Fluid"/>;
/// <see cref="Frailty"/> (a per-patient factor) is shown by neither and only loosely tied to age.
/// </summary>
internal enum LatentFactor
{
    /// <summary>Haemodynamic instability: heart rate, blood pressure, temperature, lactate.</summary>
    Instability,
    /// <summary>Metabolic / renal derangement: glucose, pH, creatinine, urine output.</summary>
    Metabolic,
    /// <summary>Neurological depression: the three GCS components.</summary>
    Neuro,
    /// <summary>Lung parenchymal disease: opacities on the radiograph only.</summary>
    Lung,
    /// <summary>Cardiopulmonary fluid overload: effusion/edema/heart size on the radiograph, respiratory rate, SpO2 and FiO2 in the series.</summary>
    Fluid,
    /// <summary>Chronic frailty of the patient: observed in neither modality.</summary>
    Frailty,
}

/// <summary>Which factors a predictor may condition on.</summary>
public enum OracleView
{
    /// <summary>Every factor: the probability the labels were drawn from.</summary>
    Full,
    /// <summary>Factors visible in the series or the images (the best any fusion model can do).</summary>
    Fused,
    /// <summary>Factors visible in the series only.</summary>
    SeriesOnly,
    /// <summary>Factors visible in the images only.</summary>
    ImageOnly,
}

/// <summary>
/// A binary label drawn as Bernoulli(sigmoid(Intercept + Σ Loadings[f]·z[f])). The intercept is
/// solved so that the marginal prevalence over z ~ N(0, I) equals <see cref="Prevalence"/>.
/// </summary>
internal sealed record LabelModel(string Name, double Prevalence, double[] Loadings)
{
    /// <summary>The calibrated intercept.</summary>
    public double Intercept { get; } = LatentMath.InterceptFor(Prevalence, LatentMath.Norm(Loadings));

    /// <summary>The probability given every factor.</summary>
    public double Probability(ReadOnlySpan<double> z) => LatentMath.Sigmoid(Intercept + Dot(z, all: true, OracleView.Full));

    /// <summary>
    /// The probability given only the factors <paramref name="view"/> can see: the hidden part of the
    /// linear predictor is N(0, Σ hidden loadings²), integrated out numerically.
    /// </summary>
    public double Probability(ReadOnlySpan<double> z, OracleView view)
    {
        if (view == OracleView.Full) return Probability(z);
        double hiddenVariance = 0;
        for (int f = 0; f < Loadings.Length; f++)
            if (!LatentMath.Visible((LatentFactor)f, view)) hiddenVariance += Loadings[f] * Loadings[f];
        return LatentMath.LogisticNormalMean(Intercept + Dot(z, all: false, view), Math.Sqrt(hiddenVariance));
    }

    double Dot(ReadOnlySpan<double> z, bool all, OracleView view)
    {
        double sum = 0;
        for (int f = 0; f < Loadings.Length; f++)
            if (all || LatentMath.Visible((LatentFactor)f, view)) sum += Loadings[f] * z[f];
        return sum;
    }
}

/// <summary>Numerics of the latent model.</summary>
internal static class LatentMath
{
    /// <summary>Number of latent factors.</summary>
    public const int Factors = 6;

    // Trapezoid rule on a standard-normal-weighted grid: for smooth integrands it converges
    // geometrically, so 61 nodes on [-6, 6] are exact to ~1e-10 here.
    static readonly double[] Nodes = BuildNodes(out WeightsStore);
    static readonly double[] WeightsStore;

    static double[] BuildNodes(out double[] weights)
    {
        const int n = 61;
        var nodes = new double[n];
        weights = new double[n];
        double step = 12.0 / (n - 1), total = 0;
        for (int i = 0; i < n; i++)
        {
            nodes[i] = -6 + i * step;
            weights[i] = Math.Exp(-0.5 * nodes[i] * nodes[i]);
            total += weights[i];
        }
        for (int i = 0; i < n; i++) weights[i] /= total;
        return nodes;
    }

    /// <summary>True when <paramref name="view"/> observes <paramref name="factor"/>.</summary>
    public static bool Visible(LatentFactor factor, OracleView view) => view switch
    {
        OracleView.Full => true,
        OracleView.Fused => factor != LatentFactor.Frailty,
        OracleView.SeriesOnly => factor is LatentFactor.Instability or LatentFactor.Metabolic or LatentFactor.Neuro or LatentFactor.Fluid,
        OracleView.ImageOnly => factor is LatentFactor.Lung or LatentFactor.Fluid,
        _ => false,
    };

    /// <summary>The logistic function.</summary>
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>E[sigmoid(mean + sd·Z)], Z ~ N(0, 1).</summary>
    public static double LogisticNormalMean(double mean, double sd)
    {
        if (sd == 0) return Sigmoid(mean);
        double sum = 0;
        for (int i = 0; i < Nodes.Length; i++) sum += WeightsStore[i] * Sigmoid(mean + sd * Nodes[i]);
        return sum;
    }

    /// <summary>Euclidean norm.</summary>
    public static double Norm(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (var x in v) s += x * x;
        return Math.Sqrt(s);
    }

    /// <summary>The intercept b with E[sigmoid(b + sd·Z)] = <paramref name="prevalence"/> (bisection).</summary>
    public static double InterceptFor(double prevalence, double sd)
    {
        double lo = -30, hi = 30;
        for (int i = 0; i < 100; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (LogisticNormalMean(mid, sd) < prevalence) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
