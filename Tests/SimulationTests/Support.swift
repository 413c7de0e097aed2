import Foundation
@testable import Simulation

/// Small, fast settings for tests: 96 × 96 px, a 7 Å sphere.
func smallSettings(seed: UInt64 = 7, frames: Int = 5) -> SimulationSettings {
    var s = SimulationSettings()
    s.seed = seed
    s.frameCount = frames
    s.width = 96; s.height = 96
    s.shape = .sphere(radius: 7)
    return s
}

/// A fresh empty directory under the system temporary directory.
func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "/stemtrack-sim-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.removeItem(atPath: path)
    return path
}
