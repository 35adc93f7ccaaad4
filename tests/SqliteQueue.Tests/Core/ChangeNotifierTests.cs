using SqliteQueue.Internal;

namespace SqliteQueue.Tests.Core;

/// <summary>The in-process wake-up: a change completes the waits taken before it, and only those.</summary>
public sealed class ChangeNotifierTests
{
    [Fact]
    public void A_wait_taken_before_a_change_is_completed_by_it()
    {
        var notifier = new ChangeNotifier();
        var first = notifier.NextChange;
        var second = notifier.NextChange;

        notifier.Notify();

        first.IsCompletedSuccessfully.Should().BeTrue();
        second.Should().BeSameAs(first, "every waiter before a change waits for the same one");
    }

    [Fact]
    public void A_change_with_nobody_waiting_does_not_complete_a_wait_taken_after_it()
    {
        var notifier = new ChangeNotifier();
        notifier.Notify();

        var next = notifier.NextChange;

        next.IsCompleted.Should().BeFalse();
        notifier.Notify();
        next.IsCompletedSuccessfully.Should().BeTrue();
        notifier.NextChange.IsCompleted.Should().BeFalse("a wait taken after the last change waits for the next one");
    }
}
