namespace SqliteQueue.Dashboard.Internal;

/// <summary>Registered by <see cref="DashboardServiceCollectionExtensions.AddSqliteQueueDashboard"/>, so mapping can tell it was called.</summary>
internal sealed class DashboardMarker;
