/// Small image filters used by the column finder.
enum LocalExtrema {
    /// Pixels that are ≥ their 8 neighbours and > at least one of them (plateaus yield one point
    /// per tie run at most); indices sorted by decreasing value, ties by index.
    static func maxima(_ image: [Double], width: Int, height: Int, valid: [Bool]) -> [Int] {
        var out: [Int] = []
        guard width >= 3, height >= 3 else { return out }
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                let i = y * width + x
                guard valid[i] else { continue }
                let v = image[i]
                var isMax = true, strict = false
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let n = image[i + dy * width + dx]
                        if n > v { isMax = false }
                        if n < v { strict = true }
                        // Break plateau ties: only the first (lowest index) pixel of a tie counts.
                        if n == v && (dy < 0 || (dy == 0 && dx < 0)) { isMax = false }
                    }
                }
                if isMax && strict { out.append(i) }
            }
        }
        out.sort { image[$0] != image[$1] ? image[$0] > image[$1] : $0 < $1 }
        return out
    }
}
