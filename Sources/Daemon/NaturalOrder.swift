/// Natural ("human") order of file names: digit runs compare by value, so frame_9.tif comes
/// before frame_10.tif. Ties (equal numeric value, e.g. "007" vs "7") fall back to plain
/// string order, so the order is total and deterministic.
public enum NaturalOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        let x = chunks(a), y = chunks(b)
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case (.number(let m, let s), .number(let n, let t)):
                // Compare digit strings by value without converting (any length): strip leading
                // zeros, shorter is smaller, then lexicographic; equal values fall back to the text.
                if m.count != n.count { return m.count < n.count }
                if m != n { return m < n }
                return s < t
            case (.text(let s), .text(let t)): return s < t
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        return x.count != y.count ? x.count < y.count : a < b
    }

    /// Text, or a digit run as (value without leading zeros, original digits).
    enum Chunk: Equatable { case text(String), number(Substring, String) }

    static func chunks(_ s: String) -> [Chunk] {
        var out: [Chunk] = []
        var current = ""
        var digits = false
        for ch in s {
            let d = ch.isASCII && ch.isNumber
            if !current.isEmpty && d != digits {
                out.append(digits ? .number(current.drop { $0 == "0" }, current) : .text(current))
                current = ""
            }
            digits = d
            current.append(ch)
        }
        if !current.isEmpty { out.append(digits ? .number(current.drop { $0 == "0" }, current) : .text(current)) }
        return out
    }
}
