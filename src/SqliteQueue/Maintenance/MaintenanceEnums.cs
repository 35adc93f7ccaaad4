namespace SqliteQueue.Maintenance;

/// <summary>SQLite's WAL checkpoint modes.</summary>
public enum CheckpointMode
{
    /// <summary>Copies what it can without waiting for anyone.</summary>
    Passive = 0,

    /// <summary>Waits for writers, then copies everything readers allow.</summary>
    Full = 1,

    /// <summary>As <see cref="Full"/>, then waits for readers so the next writer starts the WAL from its beginning.</summary>
    Restart = 2,

    /// <summary>As <see cref="Restart"/>, then truncates the WAL file to zero bytes.</summary>
    Truncate = 3,
}

/// <summary>How thoroughly <see cref="IQueueMaintenance.CheckIntegrityAsync"/> checks.</summary>
public enum IntegrityLevel
{
    /// <summary>SQLite's <c>quick_check</c>: pages and records, in about the time it takes to read the file.</summary>
    Quick = 0,

    /// <summary>SQLite's <c>integrity_check</c> and <c>foreign_key_check</c>: also every index against its table.</summary>
    Full = 1,
}

/// <summary>SQLite's <c>auto_vacuum</c> setting of the file.</summary>
public enum AutoVacuumMode
{
    /// <summary>Free pages stay in the file until a full vacuum.</summary>
    None = 0,

    /// <summary>Free pages are given back at every commit.</summary>
    Full = 1,

    /// <summary>Free pages are given back by <see cref="IQueueMaintenance.IncrementalVacuumAsync"/>.</summary>
    Incremental = 2,
}
