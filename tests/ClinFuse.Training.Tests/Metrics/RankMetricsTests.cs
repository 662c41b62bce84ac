using ClinFuse.Training.Metrics;

namespace ClinFuse.Training.Tests.Metrics;

public sealed class RankMetricsTests
{
    [Fact]
    public void Scikit_learn_documentation_examples()
    {
        // sklearn.metrics.roc_auc_score / average_precision_score docs: y = [0,0,1,1], s = [0.1,0.4,0.35,0.8].
        float[] truth = [0, 0, 1, 1], scores = [0.1f, 0.4f, 0.35f, 0.8f];
        Assert.Equal(0.75, RankMetrics.Auroc(scores, truth), 12);
        Assert.Equal(0.8333333333333333, RankMetrics.AveragePrecision(scores, truth), 12);
    }

    [Fact]
    public void Ties_count_half_and_share_one_precision_step()
    {
        float[] truth = [0, 1, 0, 1], scores = [0.5f, 0.5f, 0.2f, 0.9f];
        // Pairs (pos, neg): (0.5, 0.5) tie = 0.5, (0.5, 0.2) = 1, (0.9, *) = 2 → 3.5 / 4.
        Assert.Equal(0.875, RankMetrics.Auroc(scores, truth), 12);
        // Thresholds 0.9 (P 1, R .5) and 0.5 (P 2/3, R 1): AP = .5·1 + .5·2/3.
        Assert.Equal(0.5 + 0.5 * 2.0 / 3.0, RankMetrics.AveragePrecision(scores, truth), 12);
    }

    [Fact]
    public void Auroc_equals_the_pairwise_definition_on_random_data()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(2, 60);
            var scores = new float[n];
            var truth = new float[n];
            for (int i = 0; i < n; i++)
            {
                scores[i] = random.Next(0, 8) / 8f; // coarse values force ties
                truth[i] = random.Next(2);
            }
            truth[0] = 0;
            truth[1] = 1;
            double wins = 0, pairs = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (truth[i] == 1 && truth[j] == 0)
                    {
                        pairs++;
                        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    }
            Assert.Equal(wins / pairs, RankMetrics.Auroc(scores, truth), 12);
        }
    }

    [Fact]
    public void Macro_scores_skip_labels_with_one_class()
    {
        // Two labels, row-major: label 0 is all negative (undefined), label 1 is perfectly ranked.
        float[] probabilities = [0.1f, 0.2f, 0.3f, 0.9f, 0.5f, 0.1f];
        float[] truth = [0, 0, 0, 1, 0, 0];
        var scores = RankMetrics.Score(probabilities, truth, labels: 2);
        Assert.True(double.IsNaN(scores.Auroc[0]));
        Assert.Equal(1.0, scores.AurocMacro);
        Assert.Equal(1.0, scores.AuprcMacro);
        Assert.True(double.IsNaN(RankMetrics.Score([0.1f, 0.2f], [0f, 0f], 1).AurocMacro));
    }
}
