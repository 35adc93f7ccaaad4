using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>What the exactly-once tests read from the file: the schedule row, every log row and every job.</summary>
public sealed partial class RecurringExactlyOnceTests
{
    private sealed record ScheduleRow(long CreatedAt, long? NextRunAt, long? LastOccurrence, long Occurrences, string State);

    private sealed record LogRow(long Id, long? OccurrenceAt, string Outcome, long? JobId, long At, string? Detail)
    {
        public override string ToString() => $"log #{Id} {Outcome} occurrence {Iso(OccurrenceAt)} job {JobId?.ToString(CultureInfo.InvariantCulture) ?? "-"} at {Iso(At)} {Detail}";
    }

    private sealed record JobRow(long Id, long? OccurrenceAt, long? Missed, long CreatedAt)
    {
        public override string ToString() => $"job #{Id} occurrence {Iso(OccurrenceAt)} missed {Missed} created {Iso(CreatedAt)}";
    }

    private sealed record Verdict(List<string> Problems, string Summary, long CaughtUp);

    /// <summary>
    /// What the file shows, read as it happens: every log row (copied before the log's trim can drop it) and, when
    /// the jobs are deleted as they come, every job (collected by the delete that removes it).
    /// </summary>
    private sealed class Witness(SqliteConnection raw, bool deleteJobs)
    {
        private readonly List<LogRow> _log = [];
        private readonly List<JobRow> _deletedJobs = [];
        private readonly List<string> _holes = [];
        private long _lastLogId;

        public int Deletes { get; private set; }

        public void Observe()
        {
            using (var command = raw.CreateCommand())
            {
                command.CommandText = "SELECT id, occurrence_at, outcome, job_id, at, detail FROM queue_recurring_log WHERE id > $last ORDER BY id;";
                command.Parameters.AddWithValue("$last", _lastLogId);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var row = new LogRow(
                        reader.GetInt64(0),
                        reader.IsDBNull(1) ? null : reader.GetInt64(1),
                        reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetInt64(3),
                        reader.GetInt64(4),
                        reader.IsDBNull(5) ? null : reader.GetString(5));
                    if (row.Id != _lastLogId + 1)
                    {
                        // Rows were trimmed before they could be read: this copy is not the whole log.
                        _holes.Add($"log ids {_lastLogId + 1}..{row.Id - 1}");
                    }

                    _log.Add(row);
                    _lastLogId = row.Id;
                }
            }

            if (deleteJobs)
            {
                using var command = raw.CreateCommand();
                command.CommandText = "DELETE FROM queue_jobs WHERE recurring_name IS NOT NULL RETURNING id, occurrence_at, occurrence_missed, created_at;";
                _deletedJobs.AddRange(ReadJobs(command));
                Deletes++;
            }
        }

        public Verdict Judge(ScheduleRow schedule, long endMs)
        {
            var problems = new List<string>();
            List<JobRow> jobs;
            using (var command = raw.CreateCommand())
            {
                command.CommandText = "SELECT id, occurrence_at, occurrence_missed, created_at FROM queue_jobs WHERE recurring_name IS NOT NULL;";
                jobs = [.. _deletedJobs, .. ReadJobs(command)];
            }

            // Expected: every minute boundary after the instant the schedule was created, up to the last occurrence
            // it says it handled, which must be the end instant or later.
            var first = ((schedule.CreatedAt / MinuteMs) + 1) * MinuteMs;
            var last = schedule.LastOccurrence ?? first - MinuteMs;
            if (schedule.State != "active" || last < endMs || schedule.NextRunAt != last + MinuteMs)
            {
                problems.Add($"the schedule stands wrong: state {schedule.State}, last occurrence {Iso(schedule.LastOccurrence)} (the end is {Iso(endMs)}), next run {Iso(schedule.NextRunAt)}");
            }

            var expected = new List<long>();
            for (var at = first; at <= last; at += MinuteMs)
            {
                expected.Add(at);
            }

            // The jobs: one per expected occurrence, and none for anything else.
            var jobsByOccurrence = jobs.Where(j => j.OccurrenceAt is not null).GroupBy(j => j.OccurrenceAt!.Value).ToDictionary(g => g.Key, g => g.ToList());
            var jobDuplicates = jobsByOccurrence.Values.Where(g => g.Count > 1).ToList();
            var jobGaps = expected.Where(at => !jobsByOccurrence.ContainsKey(at)).ToList();
            var jobStrays = jobs.Where(j => j.OccurrenceAt is not { } at || at < first || at > last || at % MinuteMs != 0).ToList();
            Report(problems, "job(s) made for an occurrence that has another job", jobDuplicates.SelectMany(g => g));
            Report(problems, "expected occurrence(s) with no job", jobGaps.Select(at => Iso(at)));
            Report(problems, "job(s) for no expected occurrence", jobStrays);

            // The log: whole (no hole in its ids), one 'fired' or 'caught_up' row per expected occurrence, naming
            // the job made for it, and nothing else (no second attempt stopped by the unique index, no skip).
            Report(problems, "hole(s) in the copy of the log (rows trimmed before the test read them: the copy cannot vouch for anything)", _holes);
            if (_log.Count > 0 && _log[0].Id != 1)
            {
                problems.Add($"the copy of the log starts at id {_log[0].Id}, not 1");
            }

            var fires = _log.Where(r => r.Outcome is "fired" or "caught_up").ToList();
            var logByOccurrence = fires.Where(r => r.OccurrenceAt is not null).GroupBy(r => r.OccurrenceAt!.Value).ToDictionary(g => g.Key, g => g.ToList());
            var logDuplicates = logByOccurrence.Values.Where(g => g.Count > 1).ToList();
            var logGaps = expected.Where(at => !logByOccurrence.ContainsKey(at)).ToList();
            Report(problems, "log fire(s) of an occurrence fired more than once", logDuplicates.SelectMany(g => g));
            Report(problems, "expected occurrence(s) the log never fired", logGaps.Select(at => Iso(at)));
            Report(problems, "log row(s) other than a fire of an expected occurrence", _log.Where(r => r.Outcome is not ("fired" or "caught_up") || r.OccurrenceAt is not { } at || at < first || at > last));
            var jobPairs = jobs.Select(j => (j.Id, j.OccurrenceAt)).ToHashSet();
            var logPairs = fires.Select(r => (Id: r.JobId ?? -1, r.OccurrenceAt)).ToHashSet();
            Report(problems, "job(s) the log does not name for their occurrence", jobs.Where(j => !logPairs.Contains((j.Id, j.OccurrenceAt))));
            Report(problems, "log fire(s) naming no such job", fires.Where(r => !jobPairs.Contains((r.JobId ?? -1, r.OccurrenceAt))));
            if (schedule.Occurrences != jobs.Count)
            {
                problems.Add($"the schedule counts {schedule.Occurrences} jobs fired; {jobs.Count} were made");
            }

            var caughtUp = fires.LongCount(r => r.Outcome == "caught_up");
            var secondAttempts = _log.Count(r => r.Outcome == "already_fired");
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"occurrences checked {expected.Count} ({Iso(first)} to {Iso(last)}); jobs {jobs.Count} ({_deletedJobs.Count} deleted as they came, in {Deletes} deletes); "
                + $"duplicates {jobDuplicates.Sum(g => g.Count - 1)} by the jobs, {logDuplicates.Sum(g => g.Count - 1)} by the log, {secondAttempts} second attempts stopped by the unique index ('already_fired'); gaps {jobGaps.Count} by the jobs, {logGaps.Count} by the log; "
                + $"log rows read {_log.Count} (fired {fires.Count - caughtUp}, caught up {caughtUp}, other {_log.Count - fires.Count}); "
                + $"largest catch-up {LargestCatchUp(fires)} occurrences in one tick");
            if (problems.Count > 0)
            {
                summary += Environment.NewLine + string.Join(Environment.NewLine, problems);
            }

            return new Verdict(problems, summary, caughtUp);
        }

        /// <summary>The most occurrences caught up in one tick: one transaction records its rows with one "at".</summary>
        private static int LargestCatchUp(List<LogRow> fires) =>
            fires.Where(r => r.Outcome == "caught_up").GroupBy(r => r.At).Select(g => g.Count()).DefaultIfEmpty(0).Max();

        private static void Report<T>(List<string> problems, string what, IEnumerable<T> items)
        {
            var list = items.ToList();
            if (list.Count > 0)
            {
                problems.Add($"{list.Count} {what}: {string.Join("; ", list.Take(20))}{(list.Count > 20 ? "; …" : "")}");
            }
        }

        private static List<JobRow> ReadJobs(SqliteCommand command)
        {
            using var reader = command.ExecuteReader();
            var jobs = new List<JobRow>();
            while (reader.Read())
            {
                jobs.Add(new JobRow(
                    reader.GetInt64(0),
                    reader.IsDBNull(1) ? null : reader.GetInt64(1),
                    reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.GetInt64(3)));
            }

            return jobs;
        }
    }
}
