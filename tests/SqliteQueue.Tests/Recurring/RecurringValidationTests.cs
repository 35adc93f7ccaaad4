using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring;

public sealed class RecurringValidationTests
{
    public static TheoryData<string, Func<RecurringJobDefinition, RecurringJobDefinition>, string> BadDefinitions => new()
    {
        { "definition.Name", d => new RecurringJobDefinition(" ", d.JobType, d.Schedule), "*recurring job name*" },
        { "definition.JobType", d => new RecurringJobDefinition(d.Name, "", d.Schedule), "*job type*" },
        { "definition.Schedule", d => new RecurringJobDefinition(d.Name, d.JobType, "0 61 * * *"), "*'0 61 * * *'*" },
        { "definition.Schedule", d => new RecurringJobDefinition(d.Name, d.JobType, "every 0 minutes"), "*every 0 minutes*" },
        { "definition.Schedule", d => new RecurringJobDefinition(d.Name, d.JobType, "0 0 30 2 *"), "*never fire*" },
        { "definition.TimeZone", d => Copy(d, timeZone: "Nowhere/Atlantis"), "*Nowhere/Atlantis*" },
        { "definition.Queue", d => Copy(d, queue: "bad\nqueue"), "*queue name*" },
        { "definition.PayloadJson", d => Copy(d, payload: "{not json"), "*" },
        { "definition.Priority", d => Copy(d, priority: 2_000_000), "*" },
        { "definition.MaxAttempts", d => Copy(d, maxAttempts: 0), "*" },
        { "definition.Timeout", d => Copy(d, timeout: TimeSpan.Zero), "*Timeout*" },
        { "definition.MisfireGrace", d => Copy(d, grace: TimeSpan.FromSeconds(-1)), "*" },
        { "definition.MaxCatchUp", d => Copy(d, maxCatchUp: 0), "*" },
        { "definition.Misfire", d => Copy(d, misfire: (Misfire)42), "*Misfire*" },
        { "definition.Overlap", d => Copy(d, overlap: (Overlap)42), "*Overlap*" },
        { "definition.Overlap", d => Copy(d, misfire: Misfire.RunAll), "*RunAll*Overlap.Skip*" },
        { "definition.Overlap", d => Copy(d, misfire: Misfire.RunAll, overlap: Overlap.QueueOne), "*RunAll*Overlap.QueueOne*" },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public async Task Upsert_refuses_a_bad_field_naming_it(string param, Func<RecurringJobDefinition, RecurringJobDefinition> spoil, string message)
    {
        await using var kit = new RecurringKit();
        var bad = spoil(new RecurringJobDefinition("ok", "work", "every 1 minute"));

        var thrown = await kit.Invoking(k => k.Recurring.UpsertAsync(bad)).Should().ThrowAsync<ArgumentException>().WithMessage(message);
        thrown.Which.ParamName.Should().Be(param);
        (await kit.Recurring.ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task The_api_refuses_bad_names_and_limits_naming_them()
    {
        await using var kit = new RecurringKit();
        await kit.Invoking(k => k.Recurring.UpsertAsync(null!)).Should().ThrowAsync<ArgumentNullException>().Where(e => e.ParamName == "definition");
        await kit.Invoking(k => k.Recurring.RemoveAsync("")).Should().ThrowAsync<ArgumentException>().Where(e => e.ParamName == "name");
        await kit.Invoking(k => k.Recurring.PauseAsync(null!)).Should().ThrowAsync<ArgumentException>().Where(e => e.ParamName == "name");
        await kit.Invoking(k => k.Recurring.ResumeAsync("x", (ResumeFrom)9)).Should().ThrowAsync<ArgumentOutOfRangeException>().Where(e => e.ParamName == "from");
        await kit.Invoking(k => k.Recurring.TriggerAsync("\u0001")).Should().ThrowAsync<ArgumentException>().Where(e => e.ParamName == "name");
        await kit.Invoking(k => k.Recurring.GetAsync(" ")).Should().ThrowAsync<ArgumentException>().Where(e => e.ParamName == "name");
        await kit.Invoking(k => k.Recurring.GetHistoryAsync("x", 0)).Should().ThrowAsync<ArgumentOutOfRangeException>().Where(e => e.ParamName == "limit");
        await kit.Invoking(k => k.Recurring.GetHistoryAsync("x", 1001)).Should().ThrowAsync<ArgumentOutOfRangeException>().Where(e => e.ParamName == "limit");
    }

    [Fact]
    public void AddRecurringJob_refuses_a_bad_declaration_where_it_is_written()
    {
        var builder = new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db");

        builder.Invoking(b => b.AddRecurringJob("r", "work", "61 * * * *")).Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "schedule").WithMessage("*'61 * * * *'*");
        builder.Invoking(b => b.AddRecurringJob("r", "work", "every 1 hour", r => r.InTimeZone("Nowhere/Atlantis"))).Should().Throw<ArgumentException>()
            .WithMessage("*Nowhere/Atlantis*");
        builder.Invoking(b => b.AddRecurringJob("", "work", "every 1 hour")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "name");
        builder.Invoking(b => b.AddRecurringJob("r", " ", "every 1 hour")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "jobType");
        builder.Invoking(b => b.AddRecurringJob("r", "work", null!)).Should().Throw<ArgumentNullException>().Where(e => e.ParamName == "schedule");
        builder.Invoking(b => b.AddRecurringJob("r", "work", "every 1 hour", r => r.OnMisfire(Misfire.RunAll))).Should().Throw<ArgumentException>()
            .WithMessage("*RunAll*");

        builder.AddRecurringJob("r", "work", "every 1 hour");
        builder.Invoking(b => b.AddRecurringJob("r", "other", "every 2 hours")).Should().Throw<InvalidOperationException>().WithMessage("*'r'*already declared*");
    }

    private static RecurringJobDefinition Copy(
        RecurringJobDefinition d, string? timeZone = null, string? queue = null, string? payload = null, int? priority = null, int? maxAttempts = null,
        TimeSpan? timeout = null, TimeSpan? grace = null, int? maxCatchUp = null, Misfire? misfire = null, Overlap? overlap = null) =>
        new(d.Name, d.JobType, d.Schedule)
        {
            TimeZone = timeZone ?? d.TimeZone,
            Queue = queue ?? d.Queue,
            PayloadJson = payload ?? d.PayloadJson,
            Priority = priority ?? d.Priority,
            MaxAttempts = maxAttempts ?? d.MaxAttempts,
            Timeout = timeout ?? d.Timeout,
            MisfireGrace = grace ?? d.MisfireGrace,
            MaxCatchUp = maxCatchUp ?? d.MaxCatchUp,
            Misfire = misfire ?? d.Misfire,
            Overlap = overlap ?? d.Overlap,
        };
}
