using ClinFuse.Data.Synthetic;

namespace ClinFuse.Data.Tests.Synthetic;

public sealed class OracleMetricsTests
{
    [Fact]
    public void Label_intercepts_reproduce_their_prevalence()
    {
        foreach (var model in CohortModel.Phenotypes.Append(CohortModel.Mortality))
        {
            double sd = LatentMath.Norm(model.Loadings);
            Assert.Equal(model.Prevalence, LatentMath.LogisticNormalMean(model.Intercept, sd), 6);
        }
    }

    [Fact]
    public void Marginal_oracle_integrates_out_the_hidden_factors()
    {
        var model = CohortModel.Mortality;
        var rng = new SynthRandom(5);
        double[] z = new double[LatentMath.Factors];
        for (int f = 0; f < z.Length; f++) z[f] = rng.Gaussian();
        // Monte Carlo over the image-only factor (lung) and frailty must agree with the quadrature.
        double sum = 0;
        const int draws = 200_000;
        var zz = (double[])z.Clone();
        for (int i = 0; i < draws; i++)
        {
            zz[(int)LatentFactor.Lung] = rng.Gaussian();
            zz[(int)LatentFactor.Frailty] = rng.Gaussian();
            sum += model.Probability(zz);
        }
        Assert.Equal(sum / draws, model.Probability(z, OracleView.SeriesOnly), 2);
    }
}
