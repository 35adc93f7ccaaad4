using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Storage;

/// <summary>The SQLite settings of <see cref="SqliteQueueOptions"/>, read back from the store's own connections.</summary>
public sealed class SqliteSettingsTests
{
    private static SqliteConnection Writer(SqliteJobQueue queue) =>
        (SqliteConnection)typeof(JobStore).GetField("_writer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(queue.Store)!;

    private static SqliteConnection OpenReader(SqliteJobQueue queue) =>
        ((ConnectionFactory)typeof(JobStore).GetField("_connections", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(queue.Store)!).OpenReader();

    private static long Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_writer_gets_the_default_settings()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();

        var writer = Writer(db.Queue);
        Pragma(writer, "cache_size").Should().Be(-32_768);
        Pragma(writer, "wal_autocheckpoint").Should().Be(8192);
        Pragma(writer, "journal_size_limit").Should().Be(67_108_864);
        Pragma(writer, "mmap_size").Should().Be(0);
    }

    [Fact]
    public async Task The_writer_keeps_temporary_btrees_in_memory_and_a_full_vacuum_leaves_it_so()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 100));
        var writer = Writer(db.Queue);
        Pragma(writer, "temp_store").Should().Be(2, "2 is MEMORY");

        await db.Queue.Maintenance.VacuumAsync();

        Pragma(writer, "temp_store").Should().Be(2, "VACUUM runs with FILE and the writer goes back to MEMORY");
        using var reader = OpenReader(db.Queue);
        Pragma(reader, "temp_store").Should().Be(0, "readers keep SQLite's default");
    }

    public static TheoryData<int, int, long, long> Settings => new()
    {
        { 256, 0, -1, 0 },
        { 100_000, 1, 0, 1 << 20 },
        { 4_194_304, 1_048_576, 16L << 30, 0x7fff0000 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public async Task Each_setting_is_applied_to_the_writer(int cacheKiB, int autoCheckpoint, long journalLimit, long mmap)
    {
        await using var db = new TestDatabase(configure: o =>
        {
            o.CacheSizeKiB = cacheKiB;
            o.WalAutoCheckpointPages = autoCheckpoint;
            o.JournalSizeLimitBytes = journalLimit;
            o.MmapSizeBytes = mmap;
        });
        var id = await db.Client.EnqueueJsonAsync("t", "{}");
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);

        var writer = Writer(db.Queue);
        Pragma(writer, "cache_size").Should().Be(-cacheKiB, "a negative cache_size is in KiB");
        Pragma(writer, "wal_autocheckpoint").Should().Be(autoCheckpoint);
        Pragma(writer, "journal_size_limit").Should().Be(journalLimit);
        Pragma(writer, "mmap_size").Should().Be(mmap);
    }

    [Fact]
    public async Task Readers_get_the_mmap_size_too()
    {
        await using var db = new TestDatabase(configure: o => o.MmapSizeBytes = 8 << 20);
        await db.Queue.InitializeAsync();

        using var reader = OpenReader(db.Queue);
        Pragma(reader, "mmap_size").Should().Be(8 << 20);
    }

    [Fact]
    public async Task An_in_memory_store_takes_the_settings_that_apply_to_it()
    {
        var options = new SqliteQueueOptions
        {
            ConnectionString = $"Data Source=sqq-{Guid.NewGuid():N};Mode=Memory;Cache=Shared",
            CacheSizeKiB = 1024,
            WalAutoCheckpointPages = 5,
        };
        await using var queue = new SqliteJobQueue(options, new ManualTimeProvider());
        await queue.InitializeAsync();

        var writer = Writer(queue);
        Pragma(writer, "cache_size").Should().Be(-1024);
        Pragma(writer, "wal_autocheckpoint").Should().Be(1000, "a memory database has no WAL: SQLite's default stays");
    }
}
