namespace ClinFuse.Core;

/// <summary>Which reference implementation's behaviour a stage reproduces, bugs included (<c>--compat</c>).</summary>
public enum CompatMode
{
    /// <summary>
    /// ClinFuse's own behaviour: extraction with the reference's data bugs fixed (docs/extraction.md lists
    /// each fix); training validates after every epoch, every epoch's weights are eligible, Adam β = (0.9, 0.999).
    /// </summary>
    None,
    /// <summary>
    /// MedFuse: its <c>mimic4extract</c> row for row where it is deterministic; its trainer validates before
    /// each training epoch, trains epochs − 1 epochs (the last weights are never validated), Adam β = (0.9, 0.9).
    /// </summary>
    MedFuse,
}
