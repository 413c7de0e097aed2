import ArgumentParser

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
        version: "0.1.0",
        subcommands: [Fit.self, Count.self, Track.self, Watch.self, StructureCommand.self, QueryCommand.self, ExportCommand.self, Simulate.self,
                      Serve.self, ReportCommand.self])
}
