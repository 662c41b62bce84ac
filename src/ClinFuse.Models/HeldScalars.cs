using TorchSharp;

namespace ClinFuse.Models;

/// <summary>
/// Scalar constants held for the life of the process, for libtorch calls on the training path.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 converts a number passed where libtorch takes a scalar (<c>x.add_(y)</c>'s implicit
/// alpha 1, <c>x / 2.0</c>, <c>x.masked_fill(mask, 0.0)</c>) into a temporary <see cref="Scalar"/>, a finalisable
/// wrapper whose native handle it passes to libtorch with nothing keeping the wrapper alive. A garbage
/// collection during that call lets the finaliser thread free the scalar before libtorch reads it:
/// the call then fails ("Expected false to be true" in <c>c10::Scalar::toFloat</c>, or an integer
/// read as a double) or could read a wrong value. <c>bench/ScalarRace</c> provokes it. Code that passes these held scalars (or disposes its own
/// after the call, with <c>using</c>) cannot lose them mid-call.
/// </remarks>
internal static class HeldScalars
{
    /// <summary>The integer 1: TorchSharp's implicit alpha of <c>add_(tensor)</c> and <c>add_(scalar)</c>.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The double 0.5, the weight of the log-variances in the reference's uncertainty loss.</summary>
    public static readonly Scalar Half = 0.5.ToScalar();

    /// <summary>−∞ (double), the fill of a masked-out attention score.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
