namespace SqliteQueue.Samples;

/// <summary>The payload of an <c>email.send</c> job.</summary>
/// <param name="To">The recipient.</param>
/// <param name="Subject">The subject line.</param>
internal sealed record SendEmail(string To, string Subject)
{
    public const string Type = "email.send";
}

/// <summary>The payload of a <c>report.render</c> job.</summary>
/// <param name="ReportId">The report to render.</param>
/// <param name="Pages">How many pages it has.</param>
/// <param name="FailFirstAttempt">Whether the handler throws on the job's first attempt, to show a retry.</param>
internal sealed record RenderReport(int ReportId, int Pages, bool FailFirstAttempt = false)
{
    public const string Type = "report.render";
}
