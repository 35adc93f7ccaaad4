using Microsoft.Extensions.Options;
using SqliteQueue.Diagnostics;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Diagnostics;

public sealed class TracingOptionsTests
{
    [Fact]
    public void Tracing_defaults_to_links_without_exception_messages()
    {
        var options = new SqliteQueueOptions();

        options.Tracing.Should().NotBeNull();
        options.Tracing.ProcessSpanParenting.Should().Be(SpanParenting.Link);
        options.Tracing.RecordExceptionMessages.Should().BeFalse();
    }

    [Fact]
    public async Task An_unknown_span_parenting_is_refused_with_a_message_naming_the_option_and_the_value()
    {
        await using var db = new TestDatabase();
        var options = db.Options();
        options.Tracing.ProcessSpanParenting = (SpanParenting)7;

        var act = () => new SqliteJobQueue(options);

        act.Should().Throw<OptionsValidationException>()
            .WithMessage("SqliteQueueOptions.Tracing.ProcessSpanParenting must be Link, Parent or None; got 7.");
    }
}
