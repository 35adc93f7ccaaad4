using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Turns what the library throws into <c>{ error }</c> answers: never an exception page.</summary>
internal sealed class ErrorFilter(ILogger logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            throw;
        }
        catch (BadRequestException ex)
        {
            return DashboardJson.Error(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (ArgumentException ex)
        {
            return DashboardJson.Error(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (JobNotFoundException ex)
        {
            return DashboardJson.Error(StatusCodes.Status404NotFound, ex.Message);
        }
        catch (QueueBusyException ex)
        {
            return DashboardJson.Error(StatusCodes.Status503ServiceUnavailable, ex.Message);
        }
        catch (Exception ex)
        {
            var request = context.HttpContext.Request;
            logger.RequestFailed(ex, request.Method, request.Path.Value ?? "");
            return DashboardJson.Error(StatusCodes.Status500InternalServerError, DashboardErrors.Unexpected(ex));
        }
    }
}
