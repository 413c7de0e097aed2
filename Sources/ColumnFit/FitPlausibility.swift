/// Checks a finished fit for results that no HAADF image of atomic columns can produce, so that
/// such a frame is flagged instead of being reported as a success: a background far outside the
/// image's own intensity range, a width that is not that of an atomic column, a single column for a
/// whole frame (the typical signature of a failed width or spacing estimate), or an implausible
/// pixel size.
public enum FitPlausibility {
    /// Pixel sizes (Å) outside this range are taken to be corrupt tags or wrong settings.
    public static let pixelSizeRange = 1e-6...1e5

    /// Human-readable warnings; empty when nothing is implausible.
    public static func warnings(_ fit: FrameFit, imageRange: (lo: Double, hi: Double), width: Int, height: Int) -> [String] {
        var out: [String] = []
        let range = imageRange.hi - imageRange.lo
        if !fit.background.isFinite
            || fit.background < imageRange.lo - 2 * range || fit.background > imageRange.hi + 2 * range {
            out.append("background \(fit.background) lies far outside the image's intensity range "
                + "[\(imageRange.lo), \(imageRange.hi)]")
        }
        let side = Double(min(width, height))
        let widths = fit.sharedWidth.map { [$0] } ?? fit.columns.map(\.width)
        if let rho = widths.max(), rho > 0.25 * side {
            out.append("column width ρ = \(rho) px is more than a quarter of the image; these are not atomic columns "
                + "(give --width and --spacing)")
        }
        if fit.columns.count == 1, side >= 64 {
            out.append("only one column fitted in a \(width)×\(height) frame; the width or spacing estimate probably failed "
                + "(give --width and --spacing)")
        }
        if fit.columns.contains(where: { !$0.height.isFinite || !$0.x.isFinite || !$0.y.isFinite || !$0.width.isFinite }) {
            out.append("some fitted values are not finite")
        }
        if let px = fit.pixelSize, !pixelSizeRange.contains(px) {
            out.append("pixel size \(px) Å is implausible (a corrupt resolution tag? give --pixel-size)")
        }
        return out
    }
}
