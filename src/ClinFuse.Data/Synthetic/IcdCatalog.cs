namespace ClinFuse.Data.Synthetic;

/// <summary>Diagnosis codes by CCS benchmark group and ICD version, from the embedded code list.</summary>
internal static class IcdCatalog
{
    // [group + 1][version == 10 ? 1 : 0]: group -1 (codes in no benchmark group) sits at index 0.
    static readonly IcdCode[][][] ByGroup = Build();

    static IcdCode[][][] Build()
    {
        var lists = new List<IcdCode>[26][];
        for (int g = 0; g < 26; g++) lists[g] = [[], []];
        foreach (var code in SyntheticResources.IcdCodes) lists[code.Group + 1][code.Version == 10 ? 1 : 0].Add(code);
        var result = new IcdCode[26][][];
        for (int g = 0; g < 26; g++) result[g] = [lists[g][0].ToArray(), lists[g][1].ToArray()];
        return result;
    }

    /// <summary>A random code of <paramref name="group"/> (-1: no benchmark group), preferring the admission's ICD version.</summary>
    public static IcdCode Pick(SynthRandom rng, int group, bool icd10)
    {
        var versions = ByGroup[group + 1];
        var preferred = versions[icd10 ? 1 : 0];
        var list = preferred.Length > 0 ? preferred : versions[icd10 ? 0 : 1];
        return list[rng.NextInt(list.Length)];
    }
}
