import ArgumentParser
import Foundation
import Report
import TrajectoryStore

/// `stemtrack report`: a self-contained HTML report of a stored run.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report of a stored run (inline SVG plots, no network).",
        discussion: """
            Contents: run summary; atoms and columns against time and temperature; facet lengths per \
            family against time; the last frame's cross-section histogram with its counting model, its \
            ICL curve and its column map coloured by atom count; the events table (first 2,000). \
            Example: stemtrack report --db /data/run/stemtrack.sqlite --out run.html
            """)

    @Option(help: "Trajectory store: a SQLite file written by 'stemtrack watch', or a postgres:// URL.")
    var db: String

    @Option(help: "The run to report, by name (a PostgreSQL store holds many; default: the most recently started).")
    var run: String?

    @Option(help: "The run's instrument, when several instruments have runs of that name.")
    var instrument: String?

    @Option(help: "HTML file to write.")
    var out: String = "report.html"

    @Option(help: "Title (default: the database's directory name).")
    var title: String?

    func run() async throws {
        let reader: any StoreQuerying
        do { reader = try Stores.reader(db, run: run, instrument: instrument) } catch { throw RuntimeError("\(error)") }
        let location = try Stores.location(db)
        let runName = run ?? (location.isPostgres ? (try? Stores.catalogue(db).runs().first?.name) ?? nil : nil)
        let name = title ?? "stemtrack report: " + (runName ?? ((db as NSString).deletingLastPathComponent as NSString).lastPathComponent)
        var bar: Progress? = nil
        var stage = ""
        let html = try RunReport().html(reader: reader, title: name, databasePath: location.isPostgres ? FileManager.default.currentDirectoryPath + "/." : db) { s, done, total in
            if s.rawValue != stage {
                bar?.finish()
                stage = s.rawValue
                bar = Progress("report: " + stage, total: max(total, 1), unit: s == .frames ? "frames" : "steps")
            }
            bar?.update(done, total: max(total, 1))
        }
        bar?.finish()
        do { try html.write(toFile: out, atomically: true, encoding: .utf8) } catch {
            throw RuntimeError("\(out): cannot write the report (\(error.localizedDescription))")
        }
        FileHandle.standardError.write(Data("stemtrack: wrote \(out) (\(html.utf8.count / 1024) KiB)\n".utf8))
    }
}
