using System.CommandLine;
using System.Globalization;
using SqliteQueue.CommandLine.Internal;
using SqliteQueue.Maintenance;
using SqliteQueue.Monitoring;

namespace SqliteQueue.CommandLine;

/// <summary><c>db</c>: the queue file itself: its storage, integrity, backups, checkpoints, vacuum and schema.</summary>
internal static class DbCommands
{
    public static Command Create(CommandTree tree) => new("db", "Inspect and maintain the queue file: storage, integrity, backups, checkpoints, vacuum and schema migration.")
    {
        Info(tree), Check(tree), Backup(tree), Checkpoint(tree), Vacuum(tree), Migrate(tree),
    };

    private static Command Info(CommandTree tree)
    {
        var command = new Command("info", "The file's size, its WAL's size, its pages, and the last run of each maintenance task.");
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var info = await q.Maintenance.GetStorageInfoAsync(c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(info);
                return SqliteQueueExitCodes.Success;
            }

            var checkpoint = info.LastCheckpoint;
            c.Out.Fields(
                ("Path", info.Path ?? ":memory:"),
                ("File size", Bytes(info.FileBytes)),
                ("WAL size", Bytes(info.WalBytes)),
                ("Page size", Bytes(info.PageSize)),
                ("Pages", Output.Number(info.PageCount)),
                ("Free pages", $"{Output.Number(info.FreePages)} ({Bytes(info.FreePages * info.PageSize)})"),
                ("Auto-vacuum", info.AutoVacuum.ToString().ToLowerInvariant()),
                ("Last checkpoint", checkpoint is null ? "none by this process" : Describe(checkpoint)));
            c.Out.Line();
            var table = new TextTable("TASK", "STARTED", "FINISHED", "RESULT", "OWNER", "SUMMARY");
            foreach (var run in info.LastRuns)
            {
                table.Add(run.Task, Output.Time(run.StartedAt), Output.Time(run.FinishedAt), run.Succeeded ? "ok" : "failed", run.Owner, run.Summary);
            }

            c.Out.Table(table, "No maintenance task has run on this file.");
            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Check(CommandTree tree)
    {
        var full = new Option<bool>("--full") { Description = "Also check every index against its table and the foreign keys; slower on a large file." };
        var command = new Command("check", $"Checks the file's structure and records the result. Exits {SqliteQueueExitCodes.ProblemsFound} when it finds problems.") { full };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var result = await q.Maintenance.CheckIntegrityAsync(c.Get(full) ? IntegrityLevel.Full : IntegrityLevel.Quick, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(result);
            }
            else if (result.Ok)
            {
                c.Out.Line($"ok: {result.Level.ToString().ToLowerInvariant()} check of '{c.QueuePath ?? ":memory:"}' found no problems in {Output.Age(result.Duration)}.");
            }
            else
            {
                c.Out.Line($"FAILED: {result.Level.ToString().ToLowerInvariant()} check of '{c.QueuePath ?? ":memory:"}' found {Output.Number(result.Problems.Count)} problems:");
                foreach (var problem in result.Problems)
                {
                    c.Out.Line($"  {problem}");
                }
            }

            return result.Ok ? SqliteQueueExitCodes.Success : SqliteQueueExitCodes.ProblemsFound;
        });
        return command;
    }

    private static Command Backup(CommandTree tree)
    {
        var path = new Argument<string>("path") { Description = "The backup file to create or replace; its directory is created if missing." };
        var command = new Command("backup", "Writes a consistent copy of the file while workers keep running; the destination is replaced only once the copy is complete and checked.") { path };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            // Relative to where the command runs, which is what the user typed it against.
            var destination = Path.GetFullPath(c.Get(path)!);
            var result = await q.Maintenance.BackupAsync(destination, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(result);
            }
            else
            {
                c.Out.Line($"Backed up to '{result.Path}': {Bytes(result.Bytes)} in {Output.Age(result.Duration)}.");
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Checkpoint(CommandTree tree)
    {
        var mode = new Option<CheckpointMode>("--mode")
        {
            Description = "passive never waits (the default); full, restart and truncate wait briefly for writers and readers, blocking new writers meanwhile; truncate also empties the WAL file.",
            HelpName = "passive|full|restart|truncate",
            DefaultValueFactory = _ => CheckpointMode.Passive,
        };
        mode.AcceptOnlyFromAmong("passive", "full", "restart", "truncate");
        var command = new Command("checkpoint", "Copies the WAL back into the database file.") { mode };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var result = await q.Maintenance.CheckpointAsync(c.Get(mode), cancellationToken: c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(result);
            }
            else
            {
                c.Out.Line(Describe(result));
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Vacuum(CommandTree tree)
    {
        var incremental = new Option<bool>("--incremental") { Description = "Give free pages back without rebuilding the file; writers barely wait, and no confirmation is asked." };
        var maxPages = new Option<int?>("--max-pages") { Description = "With --incremental: the most pages to give back, 1 to 1,000,000. The default is all of them.", HelpName = "count" };
        var yes = CommandTree.Yes();
        var dryRun = CommandTree.DryRun();
        var command = new Command("vacuum", "Gives free space back to the file system. A full vacuum rebuilds the file and blocks writers in every process until it finishes.")
        {
            incremental, maxPages, yes, dryRun,
        };
        CommandActions.Set(command, tree, async c =>
        {
            var isIncremental = c.Get(incremental);
            var pages = c.Get(maxPages);
            if (pages is not null && !isIncremental)
            {
                throw CommandFailure.Usage($"--max-pages {pages.Value.ToString(CultureInfo.InvariantCulture)} needs --incremental: a full vacuum always rebuilds the whole file.");
            }

            var q = await c.QueueAsync().ConfigureAwait(false);
            var info = await q.Maintenance.GetStorageInfoAsync(c.Cancel).ConfigureAwait(false);
            var name = info.Path ?? ":memory:";
            if (c.Get(dryRun))
            {
                var releasable = pages is { } p ? Math.Min(p, info.FreePages) : info.FreePages;
                if (c.Out.Json)
                {
                    c.Out.WriteJson(new
                    {
                        dryRun = true,
                        mode = isIncremental ? "incremental" : "full",
                        info.Path,
                        info.FileBytes,
                        info.PageSize,
                        info.PageCount,
                        info.FreePages,
                        info.AutoVacuum,
                        wouldReleasePages = releasable,
                    });
                }
                else
                {
                    c.Out.Line(isIncremental
                        ? $"Would give back up to {Output.Number(releasable)} of {Output.Number(info.FreePages)} free pages ({Bytes(releasable * info.PageSize)}) of '{name}' ({Bytes(info.FileBytes)}), without blocking writers. Nothing was changed."
                        : $"Would rebuild '{name}' ({Bytes(info.FileBytes)}, {Output.Number(info.FreePages)} free pages = {Bytes(info.FreePages * info.PageSize)}), blocking writers in every process until done and needing up to {Bytes(2 * info.FileBytes)} of free disk space. Nothing was changed.");
                }

                return SqliteQueueExitCodes.Success;
            }

            if (!isIncremental)
            {
                c.Confirm(yes, $"Rebuild '{name}' ({Bytes(info.FileBytes)}, {Output.Number(info.FreePages)} free pages)? Writers in every process wait until it finishes, and it needs up to {Bytes(2 * info.FileBytes)} of free disk space.");
            }

            var result = isIncremental
                ? await q.Maintenance.IncrementalVacuumAsync(pages, c.Cancel).ConfigureAwait(false)
                : await q.Maintenance.VacuumAsync(c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new
                {
                    mode = isIncremental ? "incremental" : "full",
                    result.PagesBefore,
                    result.PagesAfter,
                    result.FreePagesBefore,
                    result.FreePagesAfter,
                    result.PageSize,
                    result.BytesReleased,
                    result.Duration,
                });
            }
            else
            {
                c.Out.Line($"{(isIncremental ? "Incremental vacuum" : "Vacuum")} of '{name}': {Output.Number(result.PagesBefore)} → {Output.Number(result.PagesAfter)} pages, "
                    + $"{Output.Number(result.FreePagesBefore)} → {Output.Number(result.FreePagesAfter)} free; released {Bytes(result.BytesReleased)} in {Output.Age(result.Duration)}.");
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Migrate(CommandTree tree)
    {
        var dryRun = CommandTree.DryRun();
        var command = new Command("migrate", "Creates the queue tables, or upgrades them to this version's schema. Upgrade every application using the file first: older versions refuse a newer schema.")
        {
            dryRun,
        };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync(migrate: true).ConfigureAwait(false);
            var path = c.QueuePath;
            var exists = path is null || File.Exists(path);

            // Read before InitializeAsync, which migrates; the health check only reads. A missing file is not probed,
            // since opening it would create it, and a dry run must leave no file behind.
            long before = 0, expected;
            if (exists)
            {
                (before, expected) = await SchemaVersionAsync(q, c.Cancel).ConfigureAwait(false);
            }
            else
            {
                expected = await ExpectedVersionAsync(c.Cancel).ConfigureAwait(false);
            }

            var name = path ?? ":memory:";
            if (c.Get(dryRun))
            {
                var what = !exists ? $"Would create '{name}' with queue tables at schema version {expected}."
                    : before == expected ? $"'{name}' is at schema version {before} already: nothing to do."
                    : before == 0 ? $"Would create the queue tables in '{name}' at schema version {expected}."
                    : $"Would migrate '{name}' from schema version {before} to {expected}.";
                if (c.Out.Json)
                {
                    c.Out.WriteJson(new { dryRun = true, path, exists, schemaVersion = before, schemaVersionExpected = expected, wouldChange = before != expected });
                }
                else
                {
                    c.Out.Line($"{what} Nothing was changed.");
                }

                return SqliteQueueExitCodes.Success;
            }

            await q.InitializeAsync(c.Cancel).ConfigureAwait(false);
            var (after, _) = await SchemaVersionAsync(q, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { path, created = !exists, schemaVersionBefore = before, schemaVersionAfter = after, changed = before != after });
            }
            else
            {
                c.Out.Line(!exists ? $"Created '{name}' with queue tables at schema version {after}."
                    : before == after ? $"'{name}' is at schema version {after} already: nothing was changed."
                    : $"Migrated '{name}' from schema version {before} to {after}.");
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static async Task<(long Version, long Expected)> SchemaVersionAsync(SqliteJobQueue q, CancellationToken cancellationToken)
    {
        var report = await q.Monitor.CheckHealthAsync(null, cancellationToken).ConfigureAwait(false);
        if (!report.Data.TryGetValue(QueueHealthFigures.SchemaVersion, out var version))
        {
            throw CommandFailure.Error($"Could not read the schema version: {report.Data.GetValueOrDefault(QueueHealthFigures.StoreError) ?? report.Exception?.Message ?? "the health check reported no version"}.");
        }

        return (Convert.ToInt64(version, CultureInfo.InvariantCulture),
            Convert.ToInt64(report.Data[QueueHealthFigures.SchemaVersionExpected], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The version this library writes, for a file that does not exist yet. The public API reports it only beside a
    /// file's own version, so it is read from a throwaway in-memory queue rather than by touching the path.
    /// </summary>
    private static async Task<long> ExpectedVersionAsync(CancellationToken cancellationToken)
    {
        var probe = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = "Data Source=sqlitequeue-migrate-probe;Mode=Memory;Cache=Shared" });
        await using (probe.ConfigureAwait(false))
        {
            var report = await probe.Monitor.CheckHealthAsync(null, cancellationToken).ConfigureAwait(false);
            return Convert.ToInt64(report.Data[QueueHealthFigures.SchemaVersionExpected], CultureInfo.InvariantCulture);
        }
    }

    private static string Describe(CheckpointResult r) =>
        $"{r.Mode.ToString().ToLowerInvariant()} checkpoint{(r.Busy ? " (busy: readers or writers kept it from finishing)" : "")}: "
        + $"{Output.Number(r.CheckpointedFrames)} of {Output.Number(r.LogFrames)} WAL frames copied; WAL now {Bytes(r.WalBytesAfter)}; took {Output.Age(r.Duration)}.";

    /// <summary>A size as people read it (<c>4.0 MiB</c>), exact below a kibibyte.</summary>
    internal static string Bytes(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        var value = (double)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
