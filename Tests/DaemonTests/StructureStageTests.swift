import Daemon
import Foundation
import Simulation
import Testing
import TIFFFrame
import TrajectoryStore

/// The watch pipeline's structure stage: particles, facets and facet events reach the store.
@Suite struct StructureStageTests {
    @Test func facetsAndParticlesAreStored() throws {
        var s = SimulationSettings()
        s.frameCount = 12
        s.shape = .sphere(radius: 15)
        s.reshaping = .faceting
        let sim = try SeriesSimulator(s)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-structure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = WatchConfiguration()
        c.directory = dir.path
        c.countWindow = 12
        c.crystal = try WatchConfiguration.parse("crystal = fcc\nlattice_constant = 3.92\nzone_axis = 110").crystal
        #expect(c.crystal != nil)
        let store = try FrameStore(path: dir.appendingPathComponent("run.sqlite").path)
        let run = try store.beginSession(SessionRecord(softwareVersion: "test"))
        var pipeline = try FramePipeline(configuration: c, resume: nil, nextFrame: 0)
        var truths: [FrameTruth] = []
        for i in 0..<s.frameCount {
            let (frame, truth) = sim.frame(i)
            truths.append(truth)
            let result = pipeline.process(frame, file: FileState(path: "f\(i).tif", size: 1, modified: Double(i)),
                                          identity: "f\(i).tif", contentHash: "h\(i)", readSeconds: 0)
            _ = try store.write(result, run: run.id!)
        }
        let reader = try StoreReader(path: dir.appendingPathComponent("run.sqlite").path)
        let particles = try reader.particles()
        let facets = try reader.facets()
        let events = try reader.events()
        #expect(particles.filter { $0.index == 0 }.count == s.frameCount)
        // Where every column is counted right the particle total is the true one.
        var exact = 0
        for p in particles where p.index == 0 {
            if p.atoms == truths[p.frame].atoms { exact += 1 }
        }
        #expect(exact >= s.frameCount - 1)
        // Facet lengths per family and frame equal the truth within one spacing.
        for i in 0..<s.frameCount {
            let truth = sim.truthFacets(i)
            for family in Set(truth.map(\.family)) {
                let expected = truth.filter { $0.family == family }.reduce(0) { $0 + $1.length }
                let stored = facets.filter { $0.frame == i && $0.family == family }.reduce(0) { $0 + ($1.length ?? 0) }
                #expect(abs(stored - expected) <= truth.first { $0.family == family }!.spacing + 1e-6, "frame \(i) \(family)")
            }
        }
        // Facet events: every frame-0 facet appears in frame 0; the reshaping makes later changes.
        let appeared0 = events.filter { $0.kind == "facet_appeared" && $0.frame == 0 }.count
        #expect(appeared0 == facets.filter { $0.frame == 0 }.count)
        #expect(events.contains { $0.frame > 0 && $0.kind.hasPrefix("facet_") })
        // Facet ids persist: the extra JSON carries them.
        #expect(facets.allSatisfy { ($0.extra ?? "").contains("\"facet\":") })
    }
}
