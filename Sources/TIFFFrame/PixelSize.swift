import CTIFF

/// Pixel size (Å) from a TIFF's resolution tags or ImageJ description.
enum PixelSize {
    /// Ångström per unit for the length units found in ImageJ descriptions.
    static func angstrom(perUnit unit: String) -> Double? {
        switch unit.lowercased().trimmingCharacters() {
        case "a", "å", "angstrom", "ångström", "angstroms", "\\u00c5": return 1
        case "nm", "nanometer", "nanometre": return 10
        case "pm", "picometer", "picometre": return 0.01
        case "um", "µm", "micron", "microns", "micrometer", "micrometre", "\\u00b5m": return 10_000
        default: return nil
        }
    }

    /// DigitalMicrograph-saved TIFF: the x calibration in private tags 65009 (scale) and 65012
    /// (unit name, "micrometer") or 65003 (unit symbol, Latin-1 "µm"), as RosettaSciIO reads them.
    static func digitalMicrographCalibration(_ tif: OpaquePointer) -> Double? {
        var scale = 0.0
        guard st_get_anonymous_double(tif, 65009, &scale) == 1, scale > 0, scale.isFinite else { return nil }
        for tag: UInt32 in [65012, 65003] {
            var buffer = [CChar](repeating: 0, count: 64)
            guard st_get_anonymous_text(tif, tag, &buffer, 64) == 1 else { continue }
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let unit = String(bytes.map { Character(UnicodeScalar($0)) })   // Latin-1
            if let a = angstrom(perUnit: unit) { return scale * a }
        }
        return nil
    }

    /// Pixel sizes (Å) a STEM image can have; a tag outside this range is corrupt (a bit flip, a
    /// writer's placeholder) and is ignored, so that the configured pixel size is used instead.
    static let plausible = 1e-6...1e5

    static func fromTags(_ tif: OpaquePointer, description: String?) -> Double? {
        rawFromTags(tif, description: description).flatMap { plausible.contains($0) ? $0 : nil }
    }

    private static func rawFromTags(_ tif: OpaquePointer, description: String?) -> Double? {
        if let dm = digitalMicrographCalibration(tif) { return dm }
        var xres: Float = 0
        guard st_get_float(tif, UInt32(TIFFTAG_XRESOLUTION), &xres) == 1, xres > 0, xres.isFinite else {
            return nil
        }
        var unit: UInt16 = 2
        _ = st_get_u16_defaulted(tif, UInt32(TIFFTAG_RESOLUTIONUNIT), &unit)
        let perPixel: Double?
        switch unit {
        case 3: perPixel = 1e8 / Double(xres)           // pixels per centimetre
        case 2:
            // Inch: 72 or 96 dpi are screen defaults written by many programs, not a calibration.
            perPixel = [72, 96, 300].contains(xres) ? nil : 2.54e8 / Double(xres)
        default: perPixel = nil
        }
        if let description, let unitName = imageJUnit(description),
           let scale = angstrom(perUnit: unitName) {
            return scale / Double(xres)
        }
        return perPixel
    }

    /// The `unit=` value of an ImageJ-style description ("ImageJ=1.53\nunit=nm\n…").
    static func imageJUnit(_ description: String) -> String? {
        // `isNewline`, not `== "\n"`: a CRLF pair is one Swift Character, equal to neither "\n" nor "\r".
        for line in description.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters() == "unit" {
                return String(parts[1]).trimmingCharacters()
            }
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
