import ArgumentParser
import Foundation
import StorePresentation
import TrajectoryStore

/// `stemtrack export`: whole tables of a trajectory store for downstream tools, streamed.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export columns, events or facets of a trajectory store as CSV or JSON.",
        discussion: """
            Column names are the same in fit, count, track, export and the HTTP API (units in the name):
              columns: frame,file,track,x_px,y_px,count,cross_section,idx,x_A,y_A,sigma_x_px,sigma_y_px,
                       rho_px,eta,sigma_eta,crlb_x_px,crlb_y_px
              events:  frame,kind,x_px,y_px,track,other_track,before,after,delta,confidence,time_s,acquired
              facets:  frame,idx,family,x0,y0,x1,y1,columns,length,angle
            frame is the 0-based acquisition order; x, y, widths, standard errors and bounds in pixels \
            (x = column index, y = row index, centre of pixel (0,0) at (0,0)); *_A in Å; cross-sections \
            in the fit's image units × Å²; empty fields are unknown (no track, not counted). JSON is an \
            array of objects with the same fields. Filters as for 'stemtrack query'. Example:
              stemtrack export columns --db run.sqlite --format csv --frames 0:999 -o columns.csv
            """,
        subcommands: [Columns.self, Events.self, Facets.self])

    struct Common: ParsableArguments {
        @OptionGroup var selection: StoreSelection

        @Option(help: "Output format: csv or json.")
        var format: OutputFormat = .csv

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        @Option(help: "Region x0,y0,x1,y1, px.")
        var region: String?

        func validate() throws {
            if format == .table { throw ValidationError("export writes csv or json") }
        }

        func open() throws -> (any StoreQuerying, StoreFilter) {
            let reader = try selection.open()
            var filter = try selection.filter(reader)
            filter.region = try region.map(StoreRange.region)
            return (reader, filter)
        }

        func export(headers: [String], _ rows: (RowWriter) throws -> Void) throws {
            let sink = try StoreOutput.sink(output)
            let writer = try RowWriter(headers: headers, format: format, sink: sink.write)
            try rows(writer)
            try writer.finish()
            try sink.close()
        }
    }

    struct Columns: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per column per frame (frame,file,track,x_px,y_px,count,cross_section,…).")

        @OptionGroup var common: Common

        @Option(help: "Only the columns of this track.")
        var track: Int?

        func run() throws {
            let (reader, baseFilter) = try common.open()
            var filter = baseFilter
            filter.track = track
            filter.status = .ok
            try common.export(headers: StoreTables.columnHeaders) { writer in
                try reader.forEachColumn(filter) { frame, index, column in
                    try writer.write(StoreTables.columnRow(frame, index, column))
                }
            }
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per event (frame,kind,x_px,y_px,track,other_track,…).")

        @OptionGroup var common: Common

        @Option(help: "Event types, comma separated (appear, vanish, count_change, hop, merge, split, facet_appeared, facet_vanished, facet_grew, facet_shrank).")
        var type: [String] = []

        @Option(help: "Only events involving this track.")
        var track: Int?

        func run() throws {
            let (reader, baseFilter) = try common.open()
            var filter = baseFilter
            filter.kinds = StoreRange.list(type)
            filter.track = track
            let start = try reader.seriesStart()
            let events = try reader.events(filter)
            try common.export(headers: StoreTables.eventHeaders) { writer in
                for e in events { try writer.write(StoreTables.eventRow(e, seriesStart: start)) }
            }
        }
    }

    struct Facets: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per facet per frame (frame,idx,family,x0,y0,x1,y1,…).")

        @OptionGroup var common: Common

        @Option(help: "Plane families, comma separated, e.g. {111},{100}.")
        var family: [String] = []

        func run() throws {
            let (reader, baseFilter) = try common.open()
            var filter = baseFilter
            filter.kinds = StoreRange.list(family)
            let facets = try reader.facets(filter)
            try common.export(headers: StoreTables.facetHeaders) { writer in
                for f in facets { try writer.write(StoreTables.facetRow(f)) }
            }
        }
    }
}
