// Counting benchmark (release): mixture selection time for 1,000 and 10,000 cross-sections
// with K = 20, and the dose sweep of measured vs theoretical probability of correct counting.
// `swift build -c release && .build/release/stemtrack-count-bench [selection|dose]`
import AtomCount
import ColumnFit
import Foundation
import Simulation

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

let modes = CommandLine.arguments.dropFirst()
if modes.isEmpty || modes.contains("selection") {
    print("Mixture selection (EM with greedy initialisation, k = 1…20, shared width)")
    print("| cross-sections | K | selected k | exact | time ms |")
    print("|---|---|---|---|---|")
    for n in [1_000, 10_000] {
        var rng = RandomSource(seed: 3)
        // Counts 1…12 with σ(n) = 240·n^0.92 (the simulator's default in electrons × Å²) and 3 % noise.
        let truth = (0..<n).map { _ in 1 + Int(rng.uniform() * 12) }
        let xs = truth.map { 240 * pow(Double($0), 0.92) + 9 * rng.gaussian() }
        var counter = MixtureCounter()
        counter.maxComponents = 20
        var result: MixtureCounter.Result? = nil
        let t = try seconds { result = try counter.count(xs) }
        let exact = zip(result!.counts, truth).filter { $0 == $1 }.count
        print(String(format: "| %d | 20 | %d | %.4f | %.0f |", n, result!.selected.components, Double(exact) / Double(n), t * 1000))
    }
}
