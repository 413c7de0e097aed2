import ArgumentParser
import Analysis
import ColumnFit

/// `stemtrack`: statistical analysis of in situ HAADF STEM series.
@main
struct StemTrack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stemtrack",
        abstract: "Find, fit, count and track atomic columns in HAADF STEM frames.",
        discussion: """
            Columns are fitted by statistical parameter estimation: a constant background plus \
            round Gaussian peaks, by least squares (as StatSTEM, De Backer et al., Ultramicroscopy \
            171 (2016) 104) or Poisson maximum likelihood. Positions are in pixels (x = column index, \
            y = row index, centre of pixel (0,0) at (0,0)) and in Å when the pixel size is known.
            """,
        version: StemTrackVersion.string,
        subcommands: [Fit.self, Count.self, Track.self, Watch.self, ProcessCommand.self, StructureCommand.self, QueryCommand.self, ExportCommand.self, Simulate.self,
                      Serve.self, ReportCommand.self])

    /// Configures OpenBLAS before anything else runs (its idle threads otherwise spin), then runs
    /// the command as ArgumentParser's default entry point does.
    static func main() async {
        LinearAlgebraThreads.useOwnParallelism()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
