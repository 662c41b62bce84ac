using ClinFuse.Core;
using ClinFuse.Models.Baselines;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests.Baselines;

/// <summary>NT-Xent and symmetric InfoNCE against explicit loops and PyTorch 1.13.</summary>
public sealed class ContrastiveLossTests
{
    public ContrastiveLossTests() => TorchRuntime.Initialize(new ComputeSettings(1));

    static readonly double[,] A = { { 1.0, 0.0 }, { 0.5, 0.5 }, { -1.0, 2.0 } };
    static readonly double[,] B = { { 0.8, 0.3 }, { 0.0, 1.0 }, { -0.5, 1.5 } };

    static double[] Unit(double[,] m, int row)
    {
        double norm = Math.Sqrt(m[row, 0] * m[row, 0] + m[row, 1] * m[row, 1]);
        return [m[row, 0] / norm, m[row, 1] / norm];
    }

    static double Dot(double[] x, double[] y) => x[0] * y[0] + x[1] * y[1];

    /// <summary>SimCLR's definition written out: for each of the 2N anchors, −log(e^{s(i,pos)/τ} / Σ_{k≠i} e^{s(i,k)/τ}).</summary>
    static double LoopNtXent(double[,] v1, double[,] v2, double tau)
    {
        int n = v1.GetLength(0);
        var z = new double[2 * n][];
        for (int i = 0; i < n; i++)
        {
            z[i] = Unit(v1, i);
            z[n + i] = Unit(v2, i);
        }
        double total = 0;
        for (int i = 0; i < 2 * n; i++)
        {
            int positive = i < n ? i + n : i - n;
            double denominator = 0;
            for (int k = 0; k < 2 * n; k++)
                if (k != i) denominator += Math.Exp(Dot(z[i], z[k]) / tau);
            total += -Math.Log(Math.Exp(Dot(z[i], z[positive]) / tau) / denominator);
        }
        return total / (2 * n);
    }

    /// <summary>CLIP's loss written out: image→text and text→image cross-entropies over scaled cosines, averaged.</summary>
    static double LoopInfoNce(double[,] a, double[,] b, double logScale)
    {
        int n = a.GetLength(0);
        double scale = Math.Exp(logScale), rows = 0, cols = 0;
        for (int i = 0; i < n; i++)
        {
            double rowSum = 0, colSum = 0;
            for (int k = 0; k < n; k++)
            {
                rowSum += Math.Exp(scale * Dot(Unit(a, i), Unit(b, k)));
                colSum += Math.Exp(scale * Dot(Unit(a, k), Unit(b, i)));
            }
            double diagonal = scale * Dot(Unit(a, i), Unit(b, i));
            rows += Math.Log(rowSum) - diagonal;
            cols += Math.Log(colSum) - diagonal;
        }
        return 0.5 * (rows / n + cols / n);
    }

    static Tensor T(double[,] m) => tensor(m);

    // PyTorch 1.13 (/usr/bin/python3): F.cross_entropy over the masked similarity matrix / the CLIP logits,
    // float64, inputs A and B above; values pasted from that run.
    [Theory]
    [InlineData(0.5, 1.0669590431870042)]
    [InlineData(0.1, 1.1187199314323775)]
    public void Nt_xent_equals_the_loop_definition_and_pytorch(double tau, double pytorch)
    {
        using var scope = NewDisposeScope();
        double value = ContrastiveLosses.NtXent(T(A), T(B), tau).item<double>();
        Assert.Equal(LoopNtXent(A, B, tau), value, 12);
        Assert.Equal(pytorch, value, 12);
    }

    [Theory]
    [InlineData(2.659260036932778, 1.075612518419919)] // ln(1/0.07), CLIP's initial temperature
    [InlineData(0.0, 0.8128311585653172)]
    public void Symmetric_info_nce_equals_the_loop_definition_and_pytorch(double logScale, double pytorch)
    {
        using var scope = NewDisposeScope();
        double value = ContrastiveLosses.SymmetricInfoNce(T(A), T(B), tensor(logScale)).item<double>();
        Assert.Equal(LoopInfoNce(A, B, logScale), value, 12);
        Assert.Equal(pytorch, value, 12);
    }

    [Fact]
    public void Symmetric_info_nce_does_not_depend_on_which_modality_comes_first()
    {
        using var scope = NewDisposeScope();
        // Swapping the modalities transposes the logits; the symmetric loss must not change.
        var ab = ContrastiveLosses.SymmetricInfoNce(T(A), T(B), tensor(1.0)).item<double>();
        var ba = ContrastiveLosses.SymmetricInfoNce(T(B), T(A), tensor(1.0)).item<double>();
        Assert.Equal(ab, ba, 12);
    }

    [Fact]
    public void Nt_xent_is_scale_invariant_and_lowest_when_views_coincide_and_samples_are_far_apart()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[,] { { 1, 0 }, { -1, 0 }, { 0, 1 } });
        double scaled = ContrastiveLosses.NtXent(x * 3, x * 0.5, 0.1).item<double>();
        double same = ContrastiveLosses.NtXent(x, x, 0.1).item<double>();
        Assert.Equal(same, scaled, 12);
        Assert.True(same < ContrastiveLosses.NtXent(T(A), T(B), 0.1).item<double>());
    }
}
