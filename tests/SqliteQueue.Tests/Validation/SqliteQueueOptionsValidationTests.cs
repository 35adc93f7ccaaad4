using Microsoft.Extensions.Options;

namespace SqliteQueue.Tests.Validation;

public sealed class SqliteQueueOptionsValidationTests
{
    private static SqliteQueueOptions Valid() => new() { ConnectionString = "Data Source=never-opened.db" };

    private static OptionsValidationException Refused(SqliteQueueOptions options)
    {
        var exception = FluentActions.Invoking(() => new SqliteJobQueue(options)).Should().Throw<OptionsValidationException>().Which;
        exception.OptionsType.Should().Be<SqliteQueueOptions>();
        return exception;
    }

    [Fact]
    public void SqliteJobQueue_rejects_null_options() =>
        Rejection.ShouldReject<ArgumentNullException>(() => _ = new SqliteJobQueue(null!), "options");

    [Fact]
    public void SqliteJobQueue_accepts_the_defaults_with_a_connection_string()
    {
        using var queue = new SqliteJobQueue(Valid());
        queue.Client.Should().NotBeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void SqliteJobQueue_rejects_empty_connection_string(string? connectionString)
    {
        var options = Valid();
        options.ConnectionString = connectionString!;
        Refused(options).Failures.Should().ContainSingle()
            .Which.Should().Be("SqliteQueueOptions.ConnectionString is required, for example \"Data Source=jobs.db\".");
    }

    [Theory]
    [InlineData("Bogus=1", "bogus")]
    [InlineData("Data Source=x.db;Mode=Sideways", "Sideways")]
    [InlineData("Data Source=x.db;Cache=Maybe", "Maybe")]
    public void SqliteJobQueue_rejects_malformed_connection_string(string connectionString, string shown)
    {
        var options = Valid();
        options.ConnectionString = connectionString;
        Refused(options).Failures.Should().ContainSingle().Which.Should()
            .StartWith("SqliteQueueOptions.ConnectionString is not a valid Microsoft.Data.Sqlite connection string: ")
            .And.ContainEquivalentOf(shown);
    }

    [Theory]
    [InlineData("1x")]
    [InlineData("a;DROP")]
    [InlineData("")]
    [InlineData("_queue")]
    [InlineData("q ueue")]
    [InlineData("queue-")]
    [InlineData("q\"")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void SqliteJobQueue_rejects_bad_table_prefix(string prefix)
    {
        var options = Valid();
        options.TablePrefix = prefix;
        Refused(options).Failures.Should().ContainSingle().Which.Should().Be(
            $"SqliteQueueOptions.TablePrefix must be a letter followed by up to 30 letters, digits or underscores; got '{prefix}'.");
    }

    [Fact]
    public void SqliteJobQueue_rejects_table_prefix_with_trailing_newline()
    {
        var options = Valid();
        options.TablePrefix = "queue_\n";
        Refused(options).Failures.Should().ContainSingle().Which.Should().StartWith("SqliteQueueOptions.TablePrefix must be");
    }

    [Fact]
    public void SqliteJobQueue_rejects_null_table_prefix()
    {
        var options = Valid();
        options.TablePrefix = null!;
        Refused(options).Failures.Should().ContainSingle().Which.Should().Contain("SqliteQueueOptions.TablePrefix");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("Q9_")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void SqliteJobQueue_accepts_valid_table_prefix(string prefix)
    {
        var options = Valid();
        options.TablePrefix = prefix;
        using var queue = new SqliteJobQueue(options);
    }

    public static TheoryData<string, Action<SqliteQueueOptions>, string> OutOfRange => new()
    {
        { "BusyTimeout", o => o.BusyTimeout = TimeSpan.Zero, "00:00:00" },
        { "BusyTimeout", o => o.BusyTimeout = TimeSpan.FromMilliseconds(999), "00:00:00.9990000" },
        { "BusyTimeout", o => o.BusyTimeout = TimeSpan.FromMinutes(11), "00:11:00" },
        { "BusyRetries", o => o.BusyRetries = -1, "-1" },
        { "BusyRetries", o => o.BusyRetries = 101, "101" },
        { "DefaultMaxAttempts", o => o.DefaultMaxAttempts = 0, "0" },
        { "DefaultMaxAttempts", o => o.DefaultMaxAttempts = 1001, "1001" },
        { "DefaultLeaseDuration", o => o.DefaultLeaseDuration = TimeSpan.FromMilliseconds(500), "00:00:00.5000000" },
        { "DefaultLeaseDuration", o => o.DefaultLeaseDuration = TimeSpan.FromDays(2), "2.00:00:00" },
        { "PollInterval", o => o.PollInterval = TimeSpan.FromMilliseconds(9), "00:00:00.0090000" },
        { "PollInterval", o => o.PollInterval = TimeSpan.FromHours(2), "02:00:00" },
        { "PollInterval", o => o.PollInterval = TimeSpan.FromSeconds(-1), "-00:00:01" },
        { "MaxPayloadLength", o => o.MaxPayloadLength = 0, "0" },
        { "MaxPayloadLength", o => o.MaxPayloadLength = -1, "-1" },
        { "MaxPayloadLength", o => o.MaxPayloadLength = (1 << 28) + 1, "268435457" },
        { "CacheSizeKiB", o => o.CacheSizeKiB = 255, "255" },
        { "CacheSizeKiB", o => o.CacheSizeKiB = -32768, "-32768" },
        { "CacheSizeKiB", o => o.CacheSizeKiB = 4_194_305, "4194305" },
        { "WalAutoCheckpointPages", o => o.WalAutoCheckpointPages = -1, "-1" },
        { "WalAutoCheckpointPages", o => o.WalAutoCheckpointPages = 1_048_577, "1048577" },
        { "JournalSizeLimitBytes", o => o.JournalSizeLimitBytes = -2, "-2" },
        { "JournalSizeLimitBytes", o => o.JournalSizeLimitBytes = (16L << 30) + 1, "17179869185" },
        { "MmapSizeBytes", o => o.MmapSizeBytes = -1, "-1" },
        { "MmapSizeBytes", o => o.MmapSizeBytes = 0x7fff0001, "2147418113" },
    };

    [Theory]
    [InlineData("CacheSizeKiB", "SqliteQueueOptions.CacheSizeKiB must be from 256 to 4194304; got 100.")]
    [InlineData("WalAutoCheckpointPages", "SqliteQueueOptions.WalAutoCheckpointPages must be from 0 to 1048576; got -5.")]
    [InlineData("JournalSizeLimitBytes", "SqliteQueueOptions.JournalSizeLimitBytes must be from -1 to 17179869184; got -100.")]
    [InlineData("MmapSizeBytes", "SqliteQueueOptions.MmapSizeBytes must be from 0 to 2147418112; got 4294967296.")]
    public void SqliteJobQueue_rejects_SQLite_setting_out_of_range_with_the_whole_message(string option, string message)
    {
        var options = Valid();
        switch (option)
        {
            case "CacheSizeKiB": options.CacheSizeKiB = 100; break;
            case "WalAutoCheckpointPages": options.WalAutoCheckpointPages = -5; break;
            case "JournalSizeLimitBytes": options.JournalSizeLimitBytes = -100; break;
            default: options.MmapSizeBytes = 1L << 32; break;
        }

        Refused(options).Failures.Should().ContainSingle().Which.Should().Be(message);
    }

    [Fact]
    public void SQLite_settings_default_to_the_values_the_store_always_used()
    {
        var options = new SqliteQueueOptions();
        options.CacheSizeKiB.Should().Be(32_768);
        options.WalAutoCheckpointPages.Should().Be(8192);
        options.JournalSizeLimitBytes.Should().Be(67_108_864);
        options.MmapSizeBytes.Should().Be(0);
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void SqliteJobQueue_rejects_option_out_of_range(string option, Action<SqliteQueueOptions> set, string shown)
    {
        var options = Valid();
        set(options);
        var failure = Refused(options).Failures.Should().ContainSingle().Which;
        failure.Should().StartWith($"SqliteQueueOptions.{option} must be from ").And.EndWith($"; got {shown}.");
    }

    public static TheoryData<Action<SqliteQueueOptions>> AtTheLimits => new()
    {
        o => o.BusyTimeout = TimeSpan.FromSeconds(1),
        o => o.BusyTimeout = TimeSpan.FromMinutes(10),
        o => o.BusyRetries = 0,
        o => o.BusyRetries = 100,
        o => o.DefaultMaxAttempts = 1,
        o => o.DefaultMaxAttempts = 1000,
        o => o.DefaultLeaseDuration = TimeSpan.FromSeconds(1),
        o => o.DefaultLeaseDuration = TimeSpan.FromDays(1),
        o => o.PollInterval = TimeSpan.FromMilliseconds(10),
        o => o.PollInterval = TimeSpan.FromHours(1),
        o => o.MaxPayloadLength = 1,
        o => o.MaxPayloadLength = 1 << 28,
        o => o.CacheSizeKiB = 256,
        o => o.CacheSizeKiB = 4_194_304,
        o => o.WalAutoCheckpointPages = 0,
        o => o.WalAutoCheckpointPages = 1_048_576,
        o => o.JournalSizeLimitBytes = -1,
        o => o.JournalSizeLimitBytes = 0,
        o => o.JournalSizeLimitBytes = 16L << 30,
        o => o.MmapSizeBytes = 0,
        o => o.MmapSizeBytes = 0x7fff0000,
    };

    [Theory]
    [MemberData(nameof(AtTheLimits))]
    public void SqliteJobQueue_accepts_option_at_its_limit(Action<SqliteQueueOptions> set)
    {
        var options = Valid();
        set(options);
        using var queue = new SqliteJobQueue(options);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void SqliteJobQueue_rejects_undefined_synchronous_mode(int mode)
    {
        var options = Valid();
        options.Synchronous = (SynchronousMode)mode;
        Refused(options).Failures.Should().ContainSingle().Which.Should()
            .Be($"SqliteQueueOptions.Synchronous must be Normal or Full; got {mode}.");
    }

    [Fact]
    public void SqliteJobQueue_rejects_missing_strategy_backoff_and_serializer_options()
    {
        var options = Valid();
        options.DefaultStrategy = null!;
        options.BackoffPolicy = null!;
        options.JsonSerializerOptions = null!;
        Refused(options).Failures.Should().BeEquivalentTo(
            "SqliteQueueOptions.DefaultStrategy is required; use one of SchedulingStrategies.",
            "SqliteQueueOptions.BackoffPolicy is required; the default is new ExponentialBackoff().",
            "SqliteQueueOptions.JsonSerializerOptions is required.");
    }

    [Fact]
    public void SqliteJobQueue_reports_every_bad_option_at_once()
    {
        var options = new SqliteQueueOptions
        {
            ConnectionString = "",
            TablePrefix = "1x",
            BusyTimeout = TimeSpan.Zero,
            DefaultMaxAttempts = 0,
            PollInterval = TimeSpan.Zero,
            MaxPayloadLength = 0,
        };
        var exception = Refused(options);
        exception.Failures.Should().HaveCount(6);
        foreach (var option in new[] { "ConnectionString", "TablePrefix", "BusyTimeout", "DefaultMaxAttempts", "PollInterval", "MaxPayloadLength" })
        {
            exception.Message.Should().Contain($"SqliteQueueOptions.{option}");
        }
    }
}
