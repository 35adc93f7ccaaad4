using SqliteQueue.Internal.Recurring.Schedules;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring.Schedules;

public sealed class ParsingTests
{
    private const string CronHelp = ScheduleErrors.CronHelp;

    private const string IntervalHelp = ScheduleErrors.IntervalHelp;

    private const string ZoneHelp = ScheduleErrors.ZoneHelp;

    private static readonly DateTimeOffset Jan1 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("0 9 * * *", "2030-01-01T09:00:00+00:00")]
    [InlineData("*/15 * * * *", "2030-01-01T00:15:00+00:00")]
    [InlineData("30 0 9 * * *", "2030-01-01T09:00:30+00:00")]
    [InlineData("*/10 * * * * *", "2030-01-01T00:00:10+00:00")]
    [InlineData("0\t9 * *\t*", "2030-01-01T09:00:00+00:00")]
    [InlineData("0 9 * * MON-FRI", "2030-01-01T09:00:00+00:00")]
    [InlineData("0 0 L * *", "2030-01-31T00:00:00+00:00")]
    [InlineData("0 0 * * 5#2", "2030-01-11T00:00:00+00:00")]
    [InlineData("0 0 13 * 5", "2030-09-13T00:00:00+00:00")]
    [InlineData("@yearly", "2031-01-01T00:00:00+00:00")]
    [InlineData("@annually", "2031-01-01T00:00:00+00:00")]
    [InlineData("@monthly", "2030-02-01T00:00:00+00:00")]
    [InlineData("@weekly", "2030-01-06T00:00:00+00:00")]
    [InlineData("@daily", "2030-01-02T00:00:00+00:00")]
    [InlineData("@midnight", "2030-01-02T00:00:00+00:00")]
    [InlineData("@hourly", "2030-01-01T01:00:00+00:00")]
    [InlineData("@every_minute", "2030-01-01T00:01:00+00:00")]
    [InlineData("@every_second", "2030-01-01T00:00:01+00:00")]
    [InlineData("@DAILY", "2030-01-02T00:00:00+00:00")]
    [InlineData("every 30 seconds", "2030-01-01T00:00:30+00:00")]
    [InlineData("every 1 second", "2030-01-01T00:00:01+00:00")]
    [InlineData("every 5 minutes", "2030-01-01T00:05:00+00:00")]
    [InlineData("every 1 hour", "2030-01-01T01:00:00+00:00")]
    [InlineData("EVERY   2   Hours", "2030-01-01T02:00:00+00:00")]
    [InlineData("every 1 day", "2030-01-02T00:00:00+00:00")]
    [InlineData("every 1 day at 09:30", "2030-01-01T09:30:00+00:00")]
    [InlineData("every 1 day at 9:30:15", "2030-01-01T09:30:15+00:00")]
    [InlineData("every 2 days at 09:30", "2030-01-02T09:30:00+00:00")]
    [InlineData("every 1 week", "2030-01-07T00:00:00+00:00")]
    [InlineData("every 1 week on friday at 17:00", "2030-01-04T17:00:00+00:00")]
    [InlineData("every 1 week at 17:00 on FRI", "2030-01-04T17:00:00+00:00")]
    [InlineData("every 3 weeks on sun", "2030-01-20T00:00:00+00:00")]
    public void Accepted_forms_parse_and_give_their_first_occurrence(string text, string first)
    {
        var schedule = RecurringSchedule.Parse(text);

        schedule.GetNextOccurrence(Jan1).Should().Be(DateTimeOffset.Parse(first, System.Globalization.CultureInfo.InvariantCulture));
        schedule.IsInterval.Should().Be(text.StartsWith("every", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_text_is_trimmed_and_kept_as_given_with_the_zone_id_as_given()
    {
        var schedule = RecurringSchedule.Parse("  0  9 * * MON  \n", "Eastern Standard Time");

        schedule.Expression.Should().Be("0  9 * * MON");
        schedule.TimeZoneId.Should().Be("Eastern Standard Time");
        schedule.TimeZone.BaseUtcOffset.Should().Be(TimeSpan.FromHours(-5));
        schedule.ToString().Should().Be("0  9 * * MON (Eastern Standard Time)");
    }

    [Fact]
    public void The_default_zone_is_UTC()
    {
        var schedule = RecurringSchedule.Parse("0 9 * * *");

        schedule.TimeZoneId.Should().Be("UTC");
        schedule.TimeZone.BaseUtcOffset.Should().Be(TimeSpan.Zero);
        schedule.ToString().Should().Be("0 9 * * * (UTC)");
    }

    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Eastern Standard Time")]
    [InlineData("Europe/Berlin")]
    [InlineData("W. Europe Standard Time")]
    [InlineData("Etc/UTC")]
    public void IANA_and_Windows_zone_ids_are_both_accepted(string zone)
    {
        RecurringSchedule.Parse("0 9 * * *", zone).TimeZoneId.Should().Be(zone);
    }

    [Theory]
    [InlineData("0 61 * * *", "Hours: Value must be a number between 0 and 23 (all inclusive)")]
    [InlineData("61 0 * * *", "Minutes: Value must be a number between 0 and 59 (all inclusive)")]
    [InlineData("0 0 * * 8", "Days of week: Value must be a number between 0 and 7 (all inclusive)")]
    [InlineData("*/0 * * * *", "Minutes: Value must be a number between 1 and 59 (all inclusive)")]
    [InlineData("@sometimes", "Macro: Unexpected character 's' on position 1")]
    [InlineData("0 0 * *", "it has 4 fields")]
    [InlineData("* * * * * * *", "it has 7 fields")]
    [InlineData("daily", "it has 1 field")]
    public void Invalid_cron_is_refused_with_a_message_that_quotes_it_and_says_what_is_accepted(string text, string detail)
    {
        var act = () => RecurringSchedule.Parse(text);

        act.Should().Throw<ArgumentException>()
            .Which.Should().Match<ArgumentException>(e =>
                e.ParamName == "schedule" &&
                e.Message == $"The schedule '{text}' is not a valid cron expression: {detail}. {CronHelp} (Parameter 'schedule')");
    }

    [Theory]
    [InlineData("every", "\"every\" must be followed by a whole number and a unit")]
    [InlineData("every 5", "'5' must be followed by a unit")]
    [InlineData("every 0 minutes", "the count must be at least 1, got '0'")]
    [InlineData("every -5 minutes", "the count must be at least 1, got '-5'")]
    [InlineData("every 1.5 hours", "'1.5' is not a whole number")]
    [InlineData("every five minutes", "'five' is not a whole number")]
    [InlineData("every +5 minutes", "'+5' is not a whole number")]
    [InlineData("every 99999999999999999999 seconds", "'99999999999999999999 seconds' is longer than the limit of 3650 days")]
    [InlineData("every 3651 days", "'3651 days' is longer than the limit of 3650 days")]
    [InlineData("every 522 weeks", "'522 weeks' is longer than the limit of 3650 days")]
    [InlineData("every 5 fortnights", "'fortnights' is not a unit")]
    [InlineData("every 1 hour at 09:30", "\"at 09:30\" applies only to days and weeks")]
    [InlineData("every 1 day on monday", "\"on monday\" applies only to weeks")]
    [InlineData("every 1 day at 25:00", "'25:00' is not a time of day (HH:mm or HH:mm:ss, 24-hour)")]
    [InlineData("every 1 day at 09:60", "'09:60' is not a time of day (HH:mm or HH:mm:ss, 24-hour)")]
    [InlineData("every 1 day at 9", "'9' is not a time of day (HH:mm or HH:mm:ss, 24-hour)")]
    [InlineData("every 1 day at 9am", "'9am' is not a time of day (HH:mm or HH:mm:ss, 24-hour)")]
    [InlineData("every 1 day at", "\"at\" must be followed by a value")]
    [InlineData("every 1 week on funday", "'funday' is not a day of the week (monday to sunday, or mon to sun)")]
    [InlineData("every 1 week on monday on friday", "'on' was not expected here")]
    [InlineData("every 1 day at 09:00 sharp", "'sharp' was not expected here")]
    public void Invalid_intervals_are_refused_with_a_message_that_quotes_them_and_says_what_is_accepted(string text, string detail)
    {
        var act = () => RecurringSchedule.Parse(text);

        act.Should().Throw<ArgumentException>()
            .Which.Should().Match<ArgumentException>(e =>
                e.ParamName == "schedule" &&
                e.Message == $"The schedule '{text}' is not a valid interval: {detail}. {IntervalHelp} (Parameter 'schedule')");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void An_empty_schedule_is_refused(string text)
    {
        var act = () => RecurringSchedule.Parse(text);

        act.Should().Throw<ArgumentException>().Which.Should().Match<ArgumentException>(e =>
            e.ParamName == "schedule" &&
            e.Message == "The schedule is empty. Use a cron expression such as \"0 9 * * *\", a macro such as @daily, or \"every <n> seconds|minutes|hours|days|weeks\". (Parameter 'schedule')");
    }

    [Fact]
    public void Null_arguments_throw_ArgumentNullException()
    {
        FluentActions.Invoking(() => RecurringSchedule.Parse(null!)).Should().Throw<ArgumentNullException>().WithParameterName("schedule");
        FluentActions.Invoking(() => RecurringSchedule.Parse("0 9 * * *", null!)).Should().Throw<ArgumentNullException>().WithParameterName("timeZone");
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("utc ")]
    [InlineData("EST5EDT6")]
    public void An_unknown_zone_is_refused_naming_it(string zone)
    {
        var act = () => RecurringSchedule.Parse("0 9 * * *", zone);

        act.Should().Throw<ArgumentException>().Which.Should().Match<ArgumentException>(e =>
            e.ParamName == "timeZone" &&
            e.Message == $"The time zone '{zone}' is not known on this machine. {ZoneHelp} (Parameter 'timeZone')");
    }

    [Fact]
    public void An_empty_zone_is_refused()
    {
        var act = () => RecurringSchedule.Parse("0 9 * * *", " ");

        act.Should().Throw<ArgumentException>().Which.Should().Match<ArgumentException>(e =>
            e.ParamName == "timeZone" && e.Message == $"The time zone is empty. {ZoneHelp} (Parameter 'timeZone')");
    }

    [Theory]
    [InlineData("H * * * *")]
    [InlineData("0 H * * *")]
    [InlineData("H/5 * * * *")]
    [InlineData("H H * * * *")]
    public void H_is_refused_without_a_recurring_job_name(string text)
    {
        var act = () => RecurringSchedule.Parse(text);

        act.Should().Throw<ArgumentException>().Which.Should().Match<ArgumentException>(e => e.ParamName == "schedule" &&
            e.Message == $"The schedule '{text}' uses H, which takes a stable spread-out value from the recurring job's name, so it is accepted only " +
                "as the schedule of a named recurring job. To parse or preview it alone, write fixed values in place of H (e.g. '7 * * * *' for 'H * * * *'). (Parameter 'schedule')");
    }

    [Fact]
    public void H_takes_a_stable_value_from_the_job_name()
    {
        var a = RecurringSchedule.Parse("H H * * *", "UTC", jitterSeed: "daily-report");
        var again = RecurringSchedule.Parse("H H * * *", "UTC", jitterSeed: "daily-report");
        var other = Enumerable.Range(0, 20).Select(i => RecurringSchedule.Parse("H H * * *", "UTC", jitterSeed: $"job-{i}").GetNextOccurrence(Jan1)).Distinct();

        a.GetNextOccurrence(Jan1).Should().Be(again.GetNextOccurrence(Jan1));
        a.Preview(Jan1, 3).Select(o => o.TimeOfDay).Distinct().Should().ContainSingle("H H * * * is one fixed time a day");
        other.Count().Should().BeGreaterThan(10, "different names spread out over the day");
        RecurringSchedule.Parse("H * * * *", "UTC", jitterSeed: "").Preview(Jan1, 2).Should().HaveCount(2);
    }

    [Fact]
    public void The_seed_of_a_name_does_not_depend_on_the_process()
    {
        // FNV-1a of "daily-report": a different value here means every deployed H schedule would move.
        SqliteQueue.Internal.Recurring.Schedules.JitterSeed.FromName("daily-report").Should().Be(unchecked((int)0xBE00B4C7u));
        SqliteQueue.Internal.Recurring.Schedules.JitterSeed.FromName("").Should().Be(unchecked((int)2166136261u));
    }

    [Theory]
    [InlineData("@daily", "2030-01-02T00:00:00+00:00")]
    [InlineData("@hourly", "2030-01-01T01:00:00+00:00")]
    [InlineData("0 0 * * *", "2030-01-02T00:00:00+00:00")]
    public void A_named_job_keeps_the_plain_meaning_of_macros_and_fixed_fields(string text, string first)
    {
        RecurringSchedule.Parse(text, "UTC", jitterSeed: "report").GetNextOccurrence(Jan1)
            .Should().Be(DateTimeOffset.Parse(first, System.Globalization.CultureInfo.InvariantCulture));
    }
}
