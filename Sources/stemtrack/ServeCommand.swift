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
            tracks, tracks/ID, events, facets, models (see README). Listens on 127.0.0.1 only unless \
            another address is given.
            """)

    @Option(help: "SQLite database written by 'stemtrack watch'.")
    var db: String

    @Option(help: "Address to listen on, HOST:PORT.")
    var http: String = "127.0.0.1:8080"

    func run() async throws {
        let address: HTTPAddress
        do { address = try HTTPAddress(parsing: http) } catch { throw ValidationError("\(error)") }
        do { _ = try StoreReader(path: db) } catch { throw RuntimeError("\(error)") }
        var logger = Logger(label: "stemtrack.http")
        logger.logLevel = .info
        let app = APIServer.application(databasePath: db, address: address, logger: logger) { port in
            FileHandle.standardError.write(Data("stemtrack: serving \(db) on http://\(address.host):\(port)/ (Ctrl-C stops)\n".utf8))
        }
        try await app.runService()
    }
}
