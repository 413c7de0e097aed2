// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "stemtrack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stemtrack", targets: ["stemtrack"]),
        .library(name: "ColumnFit", targets: ["ColumnFit"]),
    ],
    traits: [
        // The facility store (PostgreSQL through postgres-nio, which builds BoringSSL). On by default;
        // `swift build --disable-default-traits` builds for an acquisition PC with SQLite only.
        .trait(name: "PostgreSQL", description: "The PostgreSQL store (postgres:// values of --db)"),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C libraries, wrapped as system-library targets with a shim header.
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4",
                       providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CLapacke", pkgConfig: "lapacke",
                       providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CInotifyTools",
                       providers: [.apt(["libinotifytools0-dev"])]),

        // What several stages share: points and spatial grids, medians and nearest-neighbour
        // spacing, crystallographic directions, the seeded generator, a parallel-for and a locked box.
        .target(name: "StemCore"),
        // Pipeline stages, data flowing one way.
        .target(name: "TIFFFrame", dependencies: ["CTIFF"]),
        // Microscope files behind one frame source: TIFF, DigitalMicrograph DM3/DM4, Velox EMD.
        .target(name: "FrameFormats", dependencies: ["TIFFFrame", "CHDF5"]),
        .target(name: "ColumnFit", dependencies: ["TIFFFrame", "CLapacke", "StemCore"]),
        .target(name: "AtomCount", dependencies: ["StemCore"]),
        .target(name: "Tracking", dependencies: ["ColumnFit", "AtomCount", "StemCore"]),
        .target(name: "Structure", dependencies: ["StemCore"]),
        // The analysis of a series put together once: fit → count → link → smooth → structure → events.
        .target(name: "Analysis", dependencies: ["TIFFFrame", "ColumnFit", "AtomCount", "Tracking", "Structure", "StemCore"]),
        .target(name: "TrajectoryStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
                exclude: ["SCHEMA.md"]),
        // The facility store: the same store protocol on PostgreSQL (many microscopes, many users).
        .target(name: "PostgresStore", dependencies: [
            "TrajectoryStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Presentation of stored results: tables, CSV/JSON rows, the CLI's filter syntax.
        .target(name: "StorePresentation", dependencies: ["TrajectoryStore"]),
        // Service plumbing shared by the daemon and the HTTP server: systemd notification,
        // journald-aware logging, health and Prometheus metrics.
        .target(name: "Monitoring", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "Daemon", dependencies: [
            "TIFFFrame", "FrameFormats", "ColumnFit", "AtomCount", "Tracking", "Structure", "Analysis", "TrajectoryStore", "HolderLogs",
            "CInotifyTools", "Monitoring",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // Heating-holder logs (Protochips, DENSsolutions DigiHeater/Impulse, generic CSV) read into one value type.
        .target(name: "HolderLogs"),
        .target(name: "Simulation", dependencies: ["TIFFFrame", "FrameFormats", "StemCore"]),
        // Dashboard: shared plots/PNG/report (Report) and the JSON API with the live page (HTTPAPI).
        .target(name: "Report", dependencies: ["TrajectoryStore", "TIFFFrame", "FrameFormats", "AtomCount", "CZlib"]),
        .target(name: "HTTPAPI", dependencies: [
            "Report", "TrajectoryStore", "TIFFFrame", "AtomCount", "Monitoring",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
        ], resources: [.embedInCode("Resources/live.html")]),
        .executableTarget(
            name: "stemtrack",
            dependencies: [
                "TIFFFrame", "FrameFormats", "ColumnFit", "AtomCount", "Tracking", "Structure", "Analysis", "TrajectoryStore", "Daemon", "Simulation",
                "Report", "HTTPAPI", "Monitoring", "StorePresentation", "StemCore",
                .target(name: "PostgresStore", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "stemtrack-bench",
            dependencies: ["TIFFFrame", "FrameFormats", "ColumnFit", "Simulation"],
            path: "bench/FitBenchmark"),
        .executableTarget(
            name: "stemtrack-count-bench",
            dependencies: ["AtomCount", "ColumnFit", "Simulation"],
            path: "bench/CountBenchmark"),
        .executableTarget(
            name: "stemtrack-track-bench",
            dependencies: ["Tracking", "ColumnFit", "AtomCount", "Simulation"],
            path: "bench/TrackBenchmark"),
        .executableTarget(
            name: "stemtrack-restart-bench",
            dependencies: ["TrajectoryStore", "TIFFFrame", "StemCore"],
            path: "bench/RestartBenchmark"),
        .target(name: "BenchSupport", dependencies: ["TrajectoryStore", "StemCore"], path: "bench/Support"),
        .executableTarget(
            name: "stemtrack-store-bench",
            dependencies: ["TrajectoryStore", "BenchSupport",
                           .target(name: "PostgresStore", condition: .when(traits: ["PostgreSQL"]))],
            path: "bench/StoreBenchmark"),
        .executableTarget(
            name: "stemtrack-sequential-bench",
            dependencies: ["Daemon", "Analysis", "ColumnFit", "TIFFFrame", "TrajectoryStore", "BenchSupport",
                           .target(name: "PostgresStore", condition: .when(traits: ["PostgreSQL"]))],
            path: "bench/SequentialBenchmark"),
        .executableTarget(
            name: "stemtrack-png-bench",
            dependencies: ["Report", "TIFFFrame", "Simulation", "BenchSupport"],
            path: "bench/PNGBenchmark"),
        .executableTarget(
            name: "stemtrack-api-bench",
            dependencies: ["TrajectoryStore", "HTTPAPI", "BenchSupport"],
            path: "bench/APIBenchmark"),

        .target(name: "TestSupport", dependencies: ["StemCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TIFFFrameTests", dependencies: ["TIFFFrame", "TestSupport"]),
        .testTarget(name: "FrameFormatsTests", dependencies: ["FrameFormats", "TIFFFrame", "TestSupport"]),
        .testTarget(name: "ColumnFitTests", dependencies: ["ColumnFit", "Simulation", "TIFFFrame", "TestSupport"]),
        .testTarget(name: "AtomCountTests", dependencies: ["AtomCount", "ColumnFit", "Simulation", "TIFFFrame", "TestSupport"]),
        .testTarget(name: "TrackingTests", dependencies: ["Tracking", "ColumnFit", "AtomCount", "Simulation", "TIFFFrame", "TestSupport"]),
        .testTarget(name: "TrajectoryStoreTests", dependencies: [
            "TrajectoryStore", "StorePresentation", "StemCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Tracking", "AtomCount", "ColumnFit", "Simulation", "TIFFFrame", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Analysis", "TIFFFrame", "TrajectoryStore", "Simulation", "Structure",
                                                        "ColumnFit", "Monitoring", "PostgresStore",
                                                        .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "StructureTests", dependencies: ["Structure", "Tracking", "Simulation", "ColumnFit", "AtomCount", "TIFFFrame", "TestSupport"]),
        .testTarget(name: "HolderLogsTests", dependencies: ["HolderLogs", "TestSupport"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "TIFFFrame"]),
        // One conformance suite run against both stores (SQLite file and PostgreSQL run); needs
        // STEMTRACK_TEST_POSTGRES (a postgres:// URL) and fails loudly without it.
        .testTarget(name: "StoreConformanceTests", dependencies: [
            "TrajectoryStore", "PostgresStore", "StorePresentation",
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "HTTPAPITests", dependencies: [
            "HTTPAPI", "Report", "TrajectoryStore", "TIFFFrame", "TestSupport", "StemCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
