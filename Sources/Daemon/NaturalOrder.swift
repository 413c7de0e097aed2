/// Natural ("human") order of file names: digit runs compare by value, so frame_9.tif comes
/// before frame_10.tif. Ties (equal numeric value, e.g. "007" vs "7") fall back to plain
/// string order, so the order is total and deterministic.
public enum NaturalOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        let x = chunks(a), y = chunks(b)
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case (.number(let m, _), .number(let n, _)) where m != n: return m < n
            case (.number(_, let s), .number(_, let t)): return s < t
            case (.text(let s), .text(let t)): return s < t
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        return x.count != y.count ? x.count < y.count : a < b
    }

    enum Chunk: Equatable { case text(String), number(Double, String) }

    static func chunks(_ s: String) -> [Chunk] {
        var out: [Chunk] = []
        var current = ""
        var digits = false
        for ch in s {
            let d = ch.isASCII && ch.isNumber
            if !current.isEmpty && d != digits {
                out.append(digits ? .number(Double(current) ?? 0, current) : .text(current))
                current = ""
            }
            digits = d
            current.append(ch)
        }
        if !current.isEmpty { out.append(digits ? .number(Double(current) ?? 0, current) : .text(current)) }
        return out
    }
}
