using Microsoft.Data.Sqlite;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class BackupTests
{
    [Fact]
    public async Task A_backup_taken_while_jobs_flow_is_a_sound_snapshot_of_the_queue()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 200);
        using var stop = new CancellationTokenSource();
        var enqueued = 0;
        var completed = 0;
        var producer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await PendingAsync(db.Client, 10);
                Interlocked.Add(ref enqueued, 10);
            }
        });
        var consumer = Task.Run(async () =>
        {
            var worker = db.Worker();
            while (!stop.IsCancellationRequested)
            {
                var jobs = await worker.ClaimAsync(5);
                if (jobs.Count > 0)
                {
                    await worker.CompleteManyAsync(jobs);
                }

                Interlocked.Add(ref completed, jobs.Count);
            }
        });
        await Eventually.TrueAsync(() => Volatile.Read(ref enqueued) >= 100 && Volatile.Read(ref completed) >= 50, "jobs flow in and out");
        var destination = Path.Combine(db.Directory, "backups", "jobs-backup.db");

        var result = await db.Queue.Maintenance.BackupAsync(destination);

        await Eventually.TrueAsync(() => Volatile.Read(ref enqueued) >= 200, "jobs keep flowing after the backup");
        await stop.CancelAsync();
        await Task.WhenAll(producer, consumer);
        result.Path.Should().Be(destination);
        result.Bytes.Should().Be(new FileInfo(destination).Length).And.BeGreaterThan(0);
        Directory.GetFiles(Path.GetDirectoryName(destination)!).Should().Equal([destination], "the temporary copy is renamed, not left behind");
        using (var copy = new SqliteConnection($"Data Source={destination};Mode=ReadOnly;Pooling=False"))
        {
            copy.Open();
            Scalar(copy, "PRAGMA integrity_check;").Should().Be("ok");
        }

        var source = Jobs(db.ConnectionString);
        await using var restored = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={destination}" }, db.Time);
        await restored.InitializeAsync();
        var backedUp = Jobs($"Data Source={destination}");
        backedUp.Should().NotBeEmpty();
        backedUp.Count.Should().BeLessThan(source.Count, "jobs were enqueued after the backup");
        foreach (var (id, job) in backedUp)
        {
            source.Should().ContainKey(id);
            source[id].Payload.Should().Be(job.Payload);
            source[id].Queue.Should().Be(job.Queue);
        }

        await AssertCountsExactAsync(restored.Client, $"Data Source={destination}", "in the backup");
    }

    [Fact]
    public async Task A_backup_replaces_an_older_one_and_leaves_no_temporary_files()
    {
        await using var db = new TestDatabase();
        var destination = Path.Combine(db.Directory, "out", "b.db");
        await PendingAsync(db.Client, 3);
        await db.Queue.Maintenance.BackupAsync(destination);
        await PendingAsync(db.Client, 4);

        await db.Queue.Maintenance.BackupAsync(destination);

        Directory.GetFiles(Path.GetDirectoryName(destination)!).Should().Equal([destination]);
        Jobs($"Data Source={destination}").Should().HaveCount(7);
        var run = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Should().ContainSingle(r => r.Task == "backup").Subject;
        run.Succeeded.Should().BeTrue();
        run.Summary.Should().StartWith(destination);
    }

    [Fact]
    public async Task A_backup_over_the_queue_file_or_its_WAL_files_is_refused_and_they_are_left_alone()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 3);

        var refused = (await db.Queue.Maintenance.Invoking(m => m.BackupAsync(db.Path)).Should().ThrowAsync<ArgumentException>()).Which;
        refused.ParamName.Should().Be("destinationPath");
        refused.Message.Should().Be($"The backup destination '{db.Path}' is the queue file itself or one of its -wal, -shm or -journal files; give another path. (Parameter 'destinationPath')");
        foreach (var side in new[] { "-wal", "-shm", "-journal" })
        {
            (await db.Queue.Maintenance.Invoking(m => m.BackupAsync(db.Path + side)).Should().ThrowAsync<ArgumentException>(side))
                .Which.ParamName.Should().Be("destinationPath");
        }

        var relative = Path.GetRelativePath(Environment.CurrentDirectory, db.Path);
        (await db.Queue.Maintenance.Invoking(m => m.BackupAsync(relative)).Should().ThrowAsync<ArgumentException>())
            .Which.ParamName.Should().Be("destinationPath");

        (await db.Client.GetStatsAsync()).For(QueueNames.Default).Pending.Should().Be(3);
        await db.Client.EnqueueAsync("t", 4);
        (await db.Queue.Maintenance.CheckIntegrityAsync(SqliteQueue.Maintenance.IntegrityLevel.Full)).Ok.Should().BeTrue();
        Directory.GetFiles(db.Directory).Select(Path.GetFileName).Should().OnlyContain(f => f!.StartsWith("jobs.db", StringComparison.Ordinal));
    }

    public static TheoryData<string?> BadPaths => new() { null, "", "   ", "\t", "some/dir/", $"some{Path.DirectorySeparatorChar}", "bad\0name.db" };

    [Theory]
    [MemberData(nameof(BadPaths))]
    public async Task A_path_that_names_no_file_is_refused_naming_destinationPath(string? path)
    {
        await using var db = new TestDatabase();

        (await db.Queue.Maintenance.Invoking(m => m.BackupAsync(path!)).Should().ThrowAsync<ArgumentException>())
            .Which.ParamName.Should().Be("destinationPath");
        (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Should().BeEmpty("a refused call is not a failed run");
    }

    [Fact]
    public async Task A_path_that_names_an_existing_directory_is_refused_and_leaves_nothing_behind()
    {
        await using var db = new TestDatabase();
        var directory = Path.Combine(db.Directory, "backups");
        Directory.CreateDirectory(directory);

        (await db.Queue.Maintenance.Invoking(m => m.BackupAsync(directory)).Should().ThrowAsync<ArgumentException>())
            .Which.ParamName.Should().Be("destinationPath");

        Directory.GetFileSystemEntries(db.Directory).Select(Path.GetFileName).Should().OnlyContain(f => f == "backups" || f!.StartsWith("jobs.db", StringComparison.Ordinal));
        Directory.GetFileSystemEntries(directory).Should().BeEmpty();
    }

    [Fact]
    public async Task A_restore_following_the_documented_steps_gives_back_the_backed_up_jobs()
    {
        await using var db = new TestDatabase();
        var kept = await PendingAsync(db.Client, 5);
        var done = await CompletedAsync(db.Queue, 2, "other");
        var backup = Path.Combine(db.Directory, "backup.db");
        await db.Queue.Maintenance.BackupAsync(backup);
        var later = await PendingAsync(db.Client, 3);
        var expected = Jobs($"Data Source={backup}");

        // Stop the queue, delete the WAL and shared-memory files, copy the backup to a temporary name beside the
        // file and rename it over the file, reopen.
        await db.Queue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(db.Path + "-wal");
        File.Delete(db.Path + "-shm");
        var copy = db.Path + ".restoring";
        File.Copy(backup, copy);
        File.Move(copy, db.Path, overwrite: true);
        var reopened = db.Open();

        (await reopened.Client.GetJobAsync(later[0])).Should().BeNull();
        foreach (var id in kept)
        {
            (await reopened.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        }

        (await reopened.Client.GetJobAsync(done[0]))!.State.Should().Be(JobState.Completed);
        Jobs(db.ConnectionString).Should().BeEquivalentTo(expected);
        var claimed = await reopened.Create().ClaimAsync(10);
        claimed.Select(j => j.Id).Should().BeEquivalentTo(kept);
        await AssertCountsExactAsync(reopened.Client, db.ConnectionString);
    }

    private static Dictionary<long, (string Queue, string State, string Payload)> Jobs(string connectionString)
    {
        using var connection = Open(connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, queue, state, payload FROM queue_jobs;";
        using var reader = command.ExecuteReader();
        var jobs = new Dictionary<long, (string, string, string)>();
        while (reader.Read())
        {
            jobs[reader.GetInt64(0)] = (reader.GetString(1), reader.GetString(2), reader.GetString(3));
        }

        return jobs;
    }
}
