import ArgumentParser
import Foundation
import HTTPAPI
import Hummingbird
import Logging
import TrajectoryStore

/// `stemtrack serve`: the dashboard and JSON API for a stored run (read-only).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the live dashboard and JSON API for a trajectory store (read-only).",
        discussion: """
            Open http://ADDRESS/ in a browser: the latest frame with its columns coloured by atom count \
            and the tracks' recent paths, the cross-section histogram with the mixture model and the \
            ICL curve, atoms, columns and facet lengths against time and temperature, and the events; \
            the page updates itself every 2 s, so a store that 'stemtrack watch' is writing can be \
            watched too (or use 'stemtrack watch --http ADDRESS'). JSON endpoints under /api/: summary, \
            frames, frames/N, frames/N/columns, frames/N/icl, frames/N/paths, frames/N/image.png, \
            tracks, tracks/ID, events, facets, models, runs, changes (see README). Listens on 127.0.0.1 \
            only unless another address is given. A PostgreSQL store (--db postgres://…) holds the runs \
            of many microscopes: the page lists them and shows any (?run=NAME); connect as the \
            read-only role stemtrack_reader.
            """)

    @Option(help: "Trajectory store: a SQLite file written by 'stemtrack watch', or a postgres:// URL (many runs).")
    var db: String

    @Option(help: "Address to listen on, HOST:PORT.")
    var http: String = "127.0.0.1:8080"

    func run() async throws {
        let address: HTTPAddress
        do { address = try HTTPAddress(parsing: http) } catch { throw ValidationError("\(error)") }
        let location = try Stores.location(db)
        let store = StoreAccess(location: location, backends: Stores.backends)
        do { _ = try store.catalogue() } catch { throw RuntimeError("\(location): \(Stores.backends.describe(error))") }
        var logger = Logger(label: "stemtrack.http")
        logger.logLevel = .info
        let app = APIServer.application(store: store, address: address, logger: logger) { port in
            FileHandle.standardError.write(Data("stemtrack: serving \(location) on http://\(address.host):\(port)/ (Ctrl-C stops)\n".utf8))
        }
        try await app.runService()
    }
}
