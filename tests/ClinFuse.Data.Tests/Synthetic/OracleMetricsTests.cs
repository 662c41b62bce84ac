using ClinFuse.Data.Synthetic;

namespace ClinFuse.Data.Tests.Synthetic;

public sealed class OracleMetricsTests
{
    // scikit-learn's documented examples: roc_auc_score and average_precision_score of
    // y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8] are 0.75 and 0.8333…
    [Fact]
    public void Auroc_and_average_precision_match_scikit_learn_examples()
    {
        double[] scores = [0.1, 0.4, 0.35, 0.8];
        byte[] labels = [0, 0, 1, 1];
        Assert.Equal(0.75, OracleMetrics.Auroc(scores, labels), 12);
        Assert.Equal(5.0 / 6, OracleMetrics.Auprc(scores, labels), 12);
    }

    [Fact]
    public void Ties_count_one_half_and_a_missing_class_gives_nan()
    {
        Assert.Equal(0.5, OracleMetrics.Auroc([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1]), 12);
        Assert.True(double.IsNaN(OracleMetrics.Auroc([0.1, 0.2], [1, 1])));
    }

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
