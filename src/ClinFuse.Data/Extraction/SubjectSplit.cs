using ClinFuse.Core.Tasks;
using ClinFuse.Core.Randomness;

namespace ClinFuse.Data.Extraction;

/// <summary>Subject-level train/validation/test assignment; a subject is in exactly one split.</summary>
internal static class SubjectSplit
{
    /// <summary>Share of subjects in test (MedFuse's testset_iv.csv flags 20 %).</summary>
    public const double TestFraction = 0.2;

    /// <summary>Share of the remaining subjects in validation (valset_iv.csv flags 10 %).</summary>
    public const double ValidationFraction = 0.1;

    /// <summary>
    /// Assigns every subject of <paramref name="subjects"/> to a split; the seeded split puts
    /// <paramref name="validationFraction"/> of the non-test subjects (default <see cref="ValidationFraction"/>) in validation.
    /// </summary>
    public static IReadOnlyDictionary<long, Split> Assign(IEnumerable<long> subjects, SplitMode mode, int seed, double? validationFraction = null)
    {
        var ids = subjects.Distinct().Order().ToArray();
        var result = new Dictionary<long, Split>(ids.Length);
        if (mode == SplitMode.MedFuse)
        {
            // Unlisted subjects go to train, as the reference's split scripts do.
            foreach (var id in ids)
                result[id] = ExtractionResources.MedFuseTestList.GetValueOrDefault(id) ? Split.Test
                    : ExtractionResources.MedFuseValidationList.GetValueOrDefault(id) ? Split.Validation : Split.Train;
            return result;
        }
        var shuffled = (long[])ids.Clone();
        Seeds.SystemRandom(seed).Shuffle(shuffled);
        var test = (int)Math.Round(shuffled.Length * TestFraction, MidpointRounding.AwayFromZero);
        var validation = (int)Math.Round((shuffled.Length - test) * (validationFraction ?? ValidationFraction), MidpointRounding.AwayFromZero);
        for (int i = 0; i < shuffled.Length; i++)
            result[shuffled[i]] = i < test ? Split.Test : i < test + validation ? Split.Validation : Split.Train;
        return result;
    }
}
