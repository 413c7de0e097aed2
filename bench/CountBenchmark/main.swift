// Counting benchmark (release).
// `swift build -c release --product stemtrack-count-bench && .build/release/stemtrack-count-bench [selection|dose|thick]`
//   selection: time of the automatic mixture selection (k = 1…K, greedy EM, ICL rule) against the
//              number of cross-sections and of components;
//   dose:      the simulator's default particle, measured vs theoretical probability of correct counting;
//   thick:     wedges along [100] from 1 to N atoms per column, counted from stemtrack's own fits.
import AtomCount
import ColumnFit
import Foundation
import Simulation

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

/// Fitted cross-sections of columns matched (within 3 px) to a true column, with the true counts.
func fittedAndTruth(_ s: SimulationSettings) throws -> (cs: [Double], truth: [Int], fitted: Int, columns: Int) {
    let sim = try SeriesSimulator(s)
    var cs: [Double] = [], truth: [Int] = [], fitted = 0, columns = 0
    for i in 0..<s.frameCount {
        let (frame, t) = sim.frame(i)
        guard let fit = try? ColumnFitter().fit(frame) else { continue }
        fitted += fit.columns.count; columns += t.columns.count
        for c in fit.columns {
            let j = t.columns.indices.min { hypot(t.columns[$0].x - c.x, t.columns[$0].y - c.y) < hypot(t.columns[$1].x - c.x, t.columns[$1].y - c.y) }!
            guard hypot(t.columns[j].x - c.x, t.columns[j].y - c.y) < 3 else { continue }
            cs.append(c.crossSection(pixelSize: frame.pixelSize)); truth.append(t.columns[j].count)
        }
    }
    return (cs, truth, fitted, columns)
}

func exactFraction(_ a: [Int], _ b: [Int]) -> Double { Double(zip(a, b).filter { $0 == $1 }.count) / Double(max(1, a.count)) }

let modes = CommandLine.arguments.dropFirst()
if modes.isEmpty || modes.contains("selection") {
    print("Mixture selection time (greedy EM k = 1…K, every gap screened, ICL rule; 2 cores)")
    print("Counts 1…C uniformly, cross-section 240·n^0.92 (the simulator's law), noise 0.3 × the spacing at C.")
    print("| cross-sections | true counts C | K tried | selected k | exact | time s |")
    print("|---|---|---|---|---|---|")
    for (n, c) in [(1_000, 12), (10_000, 12), (100_000, 12), (1_000, 44), (10_000, 44), (100_000, 44), (10_000, 100), (100_000, 100)] {
        var rng = RandomSource(seed: 3)
        let law = { (k: Int) in 240 * pow(Double(k), 0.92) }
        let noise = 0.3 * (law(c) - law(c - 1))
        let truth = (0..<n).map { _ in 1 + Int(rng.uniform() * Double(c)) }
        let xs = truth.map { law($0) + noise * rng.gaussian() }
        var counter = MixtureCounter()
        counter.maxComponents = min(150, c + 10)
        var result: MixtureCounter.Result? = nil
        let t = try seconds { result = try counter.count(xs) }
        print(String(format: "| %d | %d | %d | %d | %.4f | %.2f |", n, c, counter.maxComponents!, result!.selected.components,
                     exactFraction(result!.counts, truth), t))
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
        let d = try fittedAndTruth(s)
        let r = try MixtureCounter().count(d.cs)
        print(String(format: "| %.0e | %d | %d | %d | %.3f | %.3f |", dose, d.cs.count, r.selected.components,
                     d.truth.max() ?? 0, exactFraction(r.counts, d.truth), r.model.probabilityOfCorrectCounting))
    }
}

if modes.isEmpty || modes.contains("thick") {
    print()
    print("Thick columns: Pt wedge along [100], 64 × 36 Å, 1 → N atoms left to right, 384 × 256 px at 0.2 Å, one frame, own fit")
    print("| dose e⁻/Å² | max count N | columns fitted / true | matched | library exact (simulator's σ(n), scale fitted) | mixture exact (k = N given) | theoretical P(correct) |")
    print("|---|---|---|---|---|---|---|")
    for dose in [2e5, 1e6] {
        for maxCount in [10, 20, 40, 60] {
            var s = SimulationSettings()
            s.seed = 5
            s.frameCount = 1
            s.dose = dose
            s.width = 384; s.height = 256
            s.crystal = FCCCrystal(zoneAxis: .z100)
            s.shape = .slab(width: 64, height: 36, thickness: 1, thicknessRight: maxCount)
            s.hopping.probability = 0
            let d = try fittedAndTruth(s)
            let lib = (1...(maxCount + 20)).map { (atoms: $0, crossSection: s.scattering.crossSection(atoms: $0)) }
            let l = try LibraryCounter(library: lib).count(d.cs)
            var c = MixtureCounter()
            c.components = maxCount
            c.firstComponentAtoms = 1
            let m = try c.count(d.cs)
            print(String(format: "| %.0e | %d | %d / %d | %d | %.3f | %.3f | %.3f |", dose, maxCount, d.fitted, d.columns, d.cs.count,
                         exactFraction(l.counts, d.truth), exactFraction(m.counts, d.truth), m.model.probabilityOfCorrectCounting))
        }
    }
}
