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

if modes.isEmpty || modes.contains("dose") {
    print()
    print("Dose sweep: simulator default particle (117 columns, 0.2 Å px), 4 frames pooled, own fit → mixture counts")
    print("| dose e⁻/Å² | columns | selected k | true max count | measured exact | theoretical P(correct) (De Backer 2015) |")
    print("|---|---|---|---|---|---|")
    for dose in [5e3, 1e4, 2e4, 5e4, 1e5, 2e5] {
        var s = SimulationSettings()
        s.seed = 31
        s.frameCount = 4
        s.dose = dose
        let sim = try SeriesSimulator(s)
        var xs: [Double] = [], truth: [Int] = []
        for i in 0..<s.frameCount {
            let (frame, t) = sim.frame(i)
            guard let fit = try? ColumnFitter().fit(frame) else { continue }
            for c in fit.columns {
                let j = t.columns.indices.min { hypot(t.columns[$0].x - c.x, t.columns[$0].y - c.y) < hypot(t.columns[$1].x - c.x, t.columns[$1].y - c.y) }!
                guard hypot(t.columns[j].x - c.x, t.columns[j].y - c.y) < 3 else { continue }
                xs.append(c.crossSection(pixelSize: frame.pixelSize)); truth.append(t.columns[j].count)
            }
        }
        let r = try MixtureCounter().count(xs)
        let exact = Double(zip(r.counts, truth).filter { $0 == $1 }.count) / Double(xs.count)
        print(String(format: "| %.0e | %d | %d | %d | %.3f | %.3f |", dose, xs.count, r.selected.components,
                     truth.max() ?? 0, exact, r.model.probabilityOfCorrectCounting))
    }
}
