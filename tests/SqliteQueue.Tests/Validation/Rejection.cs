namespace SqliteQueue.Tests.Validation;

/// <summary>Asserts that bad input is refused with an argument exception that names the parameter and shows the value.</summary>
internal static class Rejection
{
    public static async Task<TException> ShouldRejectAsync<TException>(Func<Task> act, string paramName, params string[] inMessage)
        where TException : ArgumentException
    {
        var exception = (await act.Should().ThrowAsync<TException>()).Which;
        exception.ParamName.Should().Be(paramName);
        foreach (var text in inMessage)
        {
            exception.Message.Should().Contain(text);
        }

        return exception;
    }

    public static TException ShouldReject<TException>(Action act, string paramName, params string[] inMessage)
        where TException : ArgumentException
    {
        var exception = act.Should().Throw<TException>().Which;
        exception.ParamName.Should().Be(paramName);
        foreach (var text in inMessage)
        {
            exception.Message.Should().Contain(text);
        }

        return exception;
    }

    /// <summary>The message of an <see cref="ArgumentException"/> built from <paramref name="message"/>: the text, then the parameter.</summary>
    public static string WithParam(string message, string paramName) => $"{message} (Parameter '{paramName}')";
}
