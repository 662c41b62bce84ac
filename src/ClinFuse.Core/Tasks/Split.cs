namespace ClinFuse.Core.Tasks;

/// <summary>Which split a subject, and so each of its stays and images, belongs to.</summary>
public enum Split
{
    /// <summary>Training subjects.</summary>
    Train,
    /// <summary>Validation subjects (model selection).</summary>
    Validation,
    /// <summary>Test subjects (reported results).</summary>
    Test,
}

/// <summary>The one name table of <see cref="Split"/>: "train", "val", "test" in every store and on the command line.</summary>
public static class Splits
{
    /// <summary>The three splits in store order.</summary>
    public static IReadOnlyList<Split> All { get; } = [Split.Train, Split.Validation, Split.Test];

    /// <summary>The split's name in files and on the command line.</summary>
    public static string Name(Split split) => split switch { Split.Train => "train", Split.Validation => "val", _ => "test" };

    /// <summary>The split called <paramref name="name"/>; null when none is.</summary>
    public static Split? TryParse(string? name) => name switch { "train" => Split.Train, "val" => Split.Validation, "test" => Split.Test, _ => null };

    /// <summary>The split called <paramref name="name"/>; an unknown name is a <see cref="ClinFuseException"/> naming <paramref name="where"/>.</summary>
    public static Split Parse(string? name, string where) =>
        TryParse(name) ?? throw new ClinFuseException($"{where}: unknown split '{name}'.", "Splits are \"train\", \"val\" and \"test\"; the file is damaged or from another program.");
}
