import TrajectoryStore

/// The PostgreSQL store behind `postgres://` values of `--db`: the writer of a run
/// (``PostgresFrameStore``), the catalogue of runs (``PostgresCatalogue``) and the
/// classification and description of its errors. The CLI opens stores through
/// `PostgresBackend.backends`.
public enum PostgresBackend {
    public static let backends = StoreBackends(
        postgresWriter: { url, run in try PostgresFrameStore(url: url, run: run) },
        postgresCatalogue: { url in try PostgresCatalogue(url: url) },
        postgresIsEnvironmental: { error in PostgresErrors.isEnvironmental(error) },
        postgresDescribe: { error in PostgresErrors.describe(error, url: nil) })
}
