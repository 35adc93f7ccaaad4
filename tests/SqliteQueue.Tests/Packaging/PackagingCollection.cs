namespace SqliteQueue.Tests.Packaging;

/// <summary>
/// The packaging tests run the .NET SDK (pack, restore, build) in child processes. They run alone, after the
/// parallel collections, so their builds neither slow down nor get slowed down by the timing-sensitive tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection
{
    public const string Name = "Packaging";
}
