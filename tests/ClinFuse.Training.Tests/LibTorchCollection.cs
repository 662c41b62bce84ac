namespace ClinFuse.Training.Tests;

/// <summary>Tests that touch libtorch's process-wide state (seed, threads); xUnit runs a collection's tests one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class LibTorchCollection
{
    public const string Name = "libtorch";
}
