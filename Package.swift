// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "stemtrack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stemtrack", targets: ["stemtrack"]),
        .library(name: "ColumnFit", targets: ["ColumnFit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, wrapped as system-library targets with a shim header.
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4",
                       providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CLapacke", pkgConfig: "lapacke",
                       providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
        .systemLibrary(name: "CInotifyTools",
                       providers: [.apt(["libinotifytools0-dev"])]),

        // Pipeline stages, data flowing one way.
        .target(name: "TIFFFrame", dependencies: ["CTIFF"]),
        .target(name: "ColumnFit", dependencies: ["TIFFFrame", "CLapacke"]),
        .target(name: "AtomCount", dependencies: ["ColumnFit"]),
        .target(name: "Simulation", dependencies: ["TIFFFrame"]),
        .executableTarget(
            name: "stemtrack",
            dependencies: [
                "TIFFFrame", "ColumnFit", "AtomCount", "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "stemtrack-bench",
            dependencies: ["TIFFFrame", "ColumnFit", "Simulation"],
            path: "bench/FitBenchmark"),
        .executableTarget(
            name: "stemtrack-count-bench",
            dependencies: ["AtomCount", "Simulation"],
            path: "bench/CountBenchmark"),

        .testTarget(name: "TIFFFrameTests", dependencies: ["TIFFFrame"]),
        .testTarget(name: "ColumnFitTests", dependencies: ["ColumnFit", "Simulation", "TIFFFrame"]),
        .testTarget(name: "AtomCountTests", dependencies: ["AtomCount", "ColumnFit", "Simulation", "TIFFFrame"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "TIFFFrame"]),
    ],
    swiftLanguageModes: [.v6]
)
