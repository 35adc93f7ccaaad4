using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring.Schedules;

public sealed class DescribeTests
{
    [Theory]
    [InlineData("0 9 * * *", "America/New_York", "At 09:00, every day (America/New_York)")]
    [InlineData("0 9 * * *", "UTC", "At 09:00, every day")]
    [InlineData("0 9 * * *", "Etc/UTC", "At 09:00, every day")]
    [InlineData("0 9 * * *", "Europe/London", "At 09:00, every day (Europe/London)")]
    [InlineData("30 0 9 * * *", "UTC", "At 09:00:30, every day")]
    [InlineData("0 9,17 * * *", "UTC", "At 09:00 and 17:00, every day")]
    [InlineData("* * * * *", "UTC", "Every minute")]
    [InlineData("*/30 * * * *", "UTC", "Every 30 minutes")]
    [InlineData("0/10 * * * *", "UTC", "Every 10 minutes")]
    [InlineData("*/15 * * * 1-5", "UTC", "Every 15 minutes, on weekdays")]
    [InlineData("* * * * * *", "UTC", "Every second")]
    [InlineData("*/10 * * * * *", "UTC", "Every 10 seconds")]
    [InlineData("30 * * * * *", "UTC", "Every minute, at second 30")]
    [InlineData("0 * * * *", "UTC", "Every hour, on the hour")]
    [InlineData("15 * * * *", "UTC", "Every hour, at minute 15")]
    [InlineData("0,30 * * * *", "UTC", "Every hour, at minutes 0 and 30")]
    [InlineData("0 */2 * * *", "UTC", "Every 2 hours, on the hour")]
    [InlineData("0 9-17 * * 1-5", "UTC", "Every hour from 09:00 to 17:00, on weekdays")]
    [InlineData("* 3 * * *", "UTC", "Every minute from 03:00 to 03:59, every day")]
    [InlineData("0 9 * * 1-5", "UTC", "At 09:00, on weekdays")]
    [InlineData("0 9 * * MON-FRI", "UTC", "At 09:00, on weekdays")]
    [InlineData("0 10 * * 0,6", "UTC", "At 10:00, on weekends")]
    [InlineData("0 9 * * 1", "UTC", "At 09:00, every Monday")]
    [InlineData("0 9 * * 7", "UTC", "At 09:00, every Sunday")]
    [InlineData("0 9 * * 1,3,5", "UTC", "At 09:00, every Monday, Wednesday and Friday")]
    [InlineData("0 0 1 * *", "UTC", "At 00:00, on day 1 of the month")]
    [InlineData("0 0 1,15 * *", "UTC", "At 00:00, on days 1 and 15 of the month")]
    [InlineData("30 8 15 6 *", "UTC", "At 08:30, on 15 June")]
    [InlineData("0 12 * 6-8 *", "UTC", "At 12:00, every day in June, July and August")]
    [InlineData("0 12 * JAN MON", "UTC", "At 12:00, every Monday in January")]
    [InlineData("0 0 13 * 5", "UTC", "At 00:00, on day 13 of the month, only if it is a Friday")]
    [InlineData("@every_second", "UTC", "Every second")]
    [InlineData("@every_minute", "UTC", "Every minute")]
    [InlineData("@hourly", "UTC", "Every hour, on the hour")]
    [InlineData("@daily", "Asia/Tehran", "At 00:00, every day (Asia/Tehran)")]
    [InlineData("@midnight", "UTC", "At 00:00, every day")]
    [InlineData("@weekly", "UTC", "At 00:00, every Sunday")]
    [InlineData("@monthly", "UTC", "At 00:00, on day 1 of the month")]
    [InlineData("@yearly", "UTC", "At 00:00, on 1 January")]
    [InlineData("0 0 L * *", "UTC", "Cron '0 0 L * *'")]
    [InlineData("0 0 * * 5#2", "UTC", "Cron '0 0 * * 5#2'")]
    [InlineData("0 22-2 * * *", "UTC", "Cron '0 22-2 * * *'")]
    [InlineData("5,10 1,2,3 * * *", "Europe/Berlin", "Cron '5,10 1,2,3 * * *' (Europe/Berlin)")]
    [InlineData("every 30 minutes", "UTC", "Every 30 minutes")]
    [InlineData("every 1 minute", "UTC", "Every minute")]
    [InlineData("every 1 second", "UTC", "Every second")]
    [InlineData("every 1 hour", "UTC", "Every hour")]
    [InlineData("every 12 hours", "Asia/Tehran", "Every 12 hours (Asia/Tehran)")]
    [InlineData("every 1 day", "UTC", "Every day at 00:00")]
    [InlineData("every 2 days at 09:30", "Europe/Berlin", "Every 2 days at 09:30 (Europe/Berlin)")]
    [InlineData("every 1 day at 9:30:15", "UTC", "Every day at 09:30:15")]
    [InlineData("every 1 week", "UTC", "Every week on Monday at 00:00")]
    [InlineData("every 1 week on friday at 17:00", "UTC", "Every week on Friday at 17:00")]
    [InlineData("every 2 weeks on SUN at 02:30", "America/Santiago", "Every 2 weeks on Sunday at 02:30 (America/Santiago)")]
    public void Describe_reads_as_plain_English(string text, string zone, string expected)
    {
        RecurringSchedule.Parse(text, zone).Describe().Should().Be(expected);
    }

    [Fact]
    public void A_jittered_expression_is_described_by_its_text()
    {
        RecurringSchedule.Parse("H H * * *", "UTC", jitterSeed: "report").Describe().Should().Be("Cron 'H H * * *'");
    }

    [Theory]
    [InlineData("* 3 * * *", "The schedule '* 3 * * *' runs every minute from 03:00 to 03:59, 60 times a day; if you meant once at 03:00, use '0 3 * * *'.")]
    [InlineData("0 * 3 * * *", "The schedule '0 * 3 * * *' runs every minute from 03:00 to 03:59, 60 times a day; if you meant once at 03:00, use '0 0 3 * * *'.")]
    [InlineData("* 0 3 * * *", "The schedule '* 0 3 * * *' runs every second while its other time fields match, 60 times a day; if you meant once at 03:00, use '0 0 3 * * *'.")]
    [InlineData("* * 3 * * *", "The schedule '* * 3 * * *' runs every second while its other time fields match, 3600 times a day; if you meant once at 03:00, use '0 0 3 * * *'.")]
    [InlineData("* 9-17 * * 1-5", "The schedule '* 9-17 * * 1-5' runs every minute while its other time fields match, 540 times a day; if you meant once at the start of each hour it names, use '0 9-17 * * 1-5'.")]
    [InlineData("* 5 * * * *", "The schedule '* 5 * * * *' runs every second while its other time fields match, 1440 times a day; if you meant once at the start of each minute it names, use '0 5 * * * *'.")]
    [InlineData("0 0 30 2 *", "The schedule '0 0 30 2 *' never runs: no calendar date matches its day, month and weekday fields together.")]
    [InlineData("0 0 31 4 *", "The schedule '0 0 31 4 *' never runs: no calendar date matches its day, month and weekday fields together.")]
    [InlineData("0 0 13 * 5", "The schedule '0 0 13 * 5' runs only on dates that match both its day-of-month (13) and its day-of-week (5); classic cron runs on dates that match either. For either, use two recurring jobs.")]
    [InlineData("*/7 * * * *", "The schedule '*/7 * * * *' restarts its minute step at every hour, so after minute 56 the next run comes 4 minutes later, not 7. For exactly every 7 minutes, use \"every 7 minutes\".")]
    [InlineData("0 */5 * * *", "The schedule '0 */5 * * *' restarts its hour step at every day, so after hour 20 the next run comes 4 hours later, not 5. For exactly every 5 hours, use \"every 5 hours\".")]
    [InlineData("*/59 * * * * *", "The schedule '*/59 * * * * *' restarts its second step at every minute, so after second 59 the next run comes 1 second later, not 59. For exactly every 59 seconds, use \"every 59 seconds\".")]
    public void Warning_names_the_expression_and_the_likely_fix(string text, string expected)
    {
        RecurringSchedule.Parse(text).Warning.Should().Be(expected);
    }

    [Theory]
    [InlineData("0 3 * * *")]
    [InlineData("0 0 3 * * *")]
    [InlineData("* * * * *")]
    [InlineData("* * * * * *")]
    [InlineData("*/5 3 * * *")]
    [InlineData("*/15 * * * *")]
    [InlineData("*/7 3 * * *")]
    [InlineData("0 */5 * * 1")]
    [InlineData("0 0 29 2 *")]
    [InlineData("0 0 13 * *")]
    [InlineData("@hourly")]
    [InlineData("@weekly")]
    [InlineData("every 7 minutes")]
    [InlineData("every 1 day at 02:30")]
    public void Warning_is_null_for_deliberate_schedules(string text)
    {
        RecurringSchedule.Parse(text).Warning.Should().BeNull();
    }
}
