import Foundation

/// The viridis colour map (van der Walt & Smith, matplotlib 2.0, 2015): perceptually uniform,
/// ordered in lightness from dark blue-violet to yellow, and readable with the common forms of
/// colour blindness and in grey print. Used for atom counts in the report and the live page
/// (which carries the same anchors in JavaScript).
public enum Viridis {
    /// Eleven evenly spaced colours of the map (R viridisLite's `viridis(11)`), sRGB.
    public static let anchors: [(r: UInt8, g: UInt8, b: UInt8)] = [
        (0x44, 0x01, 0x54), (0x48, 0x25, 0x76), (0x41, 0x44, 0x87), (0x35, 0x60, 0x8D), (0x2A, 0x78, 0x8E),
        (0x21, 0x90, 0x8C), (0x22, 0xA8, 0x84), (0x43, 0xBF, 0x71), (0x7A, 0xD1, 0x51), (0xBB, 0xDF, 0x27),
        (0xFD, 0xE7, 0x25),
    ]

    /// The colour at `t` ∈ [0, 1] (clamped; linear between anchors), as `#rrggbb`.
    public static func hex(_ t: Double) -> String {
        let c = rgb(t)
        return String(format: "#%02x%02x%02x", c.r, c.g, c.b)
    }

    public static func rgb(_ t: Double) -> (r: UInt8, g: UInt8, b: UInt8) {
        let x = (t.isFinite ? min(1, max(0, t)) : 0) * Double(anchors.count - 1)
        let i = min(anchors.count - 2, Int(x)), f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ u: UInt8, _ v: UInt8) -> UInt8 { UInt8((Double(u) + (Double(v) - Double(u)) * f).rounded()) }
        return (mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b))
    }
}
