/// <summary>The parent test's commands on stdin: "go" releases the start; "stop", or the end of input, stops.</summary>
internal static class StdinControl
{
    /// <summary>Reads stdin until "stop" or its end. <paramref name="go"/> completes at "go", or then at the latest.</summary>
    public static Task ReadAsync(TaskCompletionSource go) => Task.Run(async () =>
    {
        while (await Console.In.ReadLineAsync() is { } line)
        {
            switch (line.Trim())
            {
                case "go":
                    go.TrySetResult();
                    break;
                case "stop":
                    go.TrySetResult();
                    return;
            }
        }

        // The parent went away or closed our input: stop rather than linger.
        go.TrySetResult();
    });
}
