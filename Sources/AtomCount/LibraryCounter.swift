import Foundation
import StemCore

/// Counting against a simulated cross-section library (atoms n → cross-section), scaled by one
/// global factor fitted to the data (the hybrid approach: library shape from simulation, scale from
/// experiment; cf. De wael et al., Ultramicroscopy 177 (2017) 69). Each column gets the library
/// entry nearest in likelihood; optionally with dose-dependent variance σ² + μ/dose.
public struct LibraryCounter: Sendable {
    /// (atoms, cross-section) pairs, any order.
    public var library: [(atoms: Int, crossSection: Double)]
    /// Fit the global scale (default) or use the library as given.
    public var fitScale = true
    /// 1/dose for the Poisson variance term, or nil.
    public var poissonScale: Double? = nil

    public init(library: [(atoms: Int, crossSection: Double)]) {
        self.library = library.sorted { $0.atoms < $1.atoms }
    }

    public enum LibraryError: Error, CustomStringConvertible, Equatable {
        case emptyLibrary
        case malformed(line: Int, text: String)
        case noData
        public var description: String {
            switch self {
            case .emptyLibrary: return "the cross-section library has no entries"
            case .malformed(let l, let t): return "library line \(l): expected 'atoms, cross-section', got '\(t)'"
            case .noData: return "no cross-sections to count"
            }
        }
    }

    /// Parses a text library: one "atoms, cross-section" (comma, tab or space separated) per line,
    /// '#' comments and a non-numeric header allowed.
    public static func parse(_ text: String) throws(LibraryError) -> [(atoms: Int, crossSection: Double)] {
        var out: [(Int, Double)] = []
        for (i, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(whereSeparator: { $0 == "," || $0 == "\t" || $0 == " " })
            guard f.count >= 2, let n = Int(f[0]), let cs = Double(f[1]) else {
                if i == 0 { continue }   // header
                throw .malformed(line: i + 1, text: line)
            }
            out.append((n, cs))
        }
        guard !out.isEmpty else { throw .emptyLibrary }
        return out.map { (atoms: $0.0, crossSection: $0.1) }
    }

    /// The scaled library as a counting model and the counts.
    public func count(_ xs: [Double]) throws(LibraryError) -> (model: CountingModel, scale: Double, counts: [Int]) {
        guard !library.isEmpty else { throw .emptyLibrary }
        guard !xs.isEmpty else { throw .noData }
        let lib = library.map(\.crossSection)
        func assign(_ s: Double) -> [Int] {
            xs.map { x in lib.indices.min { abs(x - s * lib[$0]) < abs(x - s * lib[$1]) }! }
        }
        func sse(_ s: Double) -> Double {
            zip(xs, assign(s)).reduce(0) { $0 + ($1.0 - s * lib[$1.1]) * ($1.0 - s * lib[$1.1]) }
        }
        var scale = 1.0
        if fitScale {
            // Coarse search over a wide range of scales, then alternate assignment and least squares.
            let centre = ComponentSelection.median(xs) / max(ComponentSelection.median(lib), 1e-300)
            var best = (s: centre, e: Double.infinity)
            for k in 0...400 {
                let s = centre * pow(10, -1 + 2 * Double(k) / 400)
                let e = sse(s)
                if e < best.e { best = (s, e) }
            }
            scale = best.s
            for _ in 0..<50 {
                let a = assign(scale)
                let num = zip(xs, a).reduce(0) { $0 + $1.0 * lib[$1.1] }
                let den = a.reduce(0) { $0 + lib[$1] * lib[$1] }
                let next = num / den
                if abs(next - scale) <= 1e-12 * scale { scale = next; break }
                scale = next
            }
        }
        let a = assign(scale)
        let residual = zip(xs, a).reduce(0) { $0 + ($1.0 - scale * lib[$1.1]) * ($1.0 - scale * lib[$1.1]) }
        let sigma = max((residual / Double(xs.count)).squareRoot(), 1e-12)
        // Equal proportions: assignment is to the nearest entry in likelihood, not biased by the data.
        let props = [Double](repeating: 1 / Double(lib.count), count: lib.count)
        let model = CountingModel(source: .library, counts: library.map(\.atoms), means: lib.map { $0 * scale },
                                  proportions: props, sigma: sigma, poissonScale: poissonScale)
        return (model, scale, xs.map(model.count))
    }
}
