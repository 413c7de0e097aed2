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

    /// Minimum over the square window of half-size `r` (separable, monotone-queue, O(N)).
    static func minimumFilter(_ image: [Double], width: Int, height: Int, radius r: Int) -> [Double] {
        func line(_ get: (Int) -> Double, _ n: Int, _ set: (Int, Double) -> Void) {
            var dq: [Int] = []
            dq.reserveCapacity(2 * r + 2)
            var head = 0
            var next = 0
            for i in 0..<n {
                // Window [i - r, i + r].
                while next < n && next <= i + r {
                    let v = get(next)
                    while dq.count > head && get(dq[dq.count - 1]) >= v { dq.removeLast() }
                    dq.append(next)
                    next += 1
                }
                while dq[head] < i - r { head += 1 }
                set(i, get(dq[head]))
                if head > 64 { dq.removeFirst(head); head = 0 }
            }
        }
        var tmp = image
        for y in 0..<height {
            let row = y * width
            line({ image[row + $0] }, width) { tmp[row + $0] = $1 }
        }
        var out = tmp
        for x in 0..<width {
            line({ tmp[$0 * width + x] }, height) { out[$0 * width + x] = $1 }
        }
        return out
    }
}
