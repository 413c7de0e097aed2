extension HolderLog {
    /// The value of a channel at a time on the log's time axis (Unix s when `start` is known,
    /// elapsed s otherwise), interpolated linearly between the two samples around it.
    ///
    /// Returns the sample's value at a sample time, nil for an unknown channel, for a time before
    /// the first or after the last sample, or when a neighbouring sample is NaN.
    public func value(of channel: String, at time: Double) -> Double? {
        guard let values = self.channel(named: channel)?.values else { return nil }
        return Self.interpolate(times: times, values: values, at: time)
    }

    /// Linear interpolation in a non-decreasing `times` array (binary search, O(log n)).
    static func interpolate(times: [Double], values: [Double], at time: Double) -> Double? {
        let n = min(times.count, values.count)
        guard n > 0, time.isFinite, time >= times[0], time <= times[n - 1] else { return nil }
        // First index whose time is > `time`.
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= time { lo = mid + 1 } else { hi = mid }
        }
        let right = lo, left = lo - 1
        if times[left] == time || right >= n {
            let v = values[left]
            return v.isNaN ? nil : v
        }
        let t0 = times[left], t1 = times[right], v0 = values[left], v1 = values[right]
        guard !v0.isNaN, !v1.isNaN else { return nil }
        let f = (time - t0) / (t1 - t0)
        return v0 + f * (v1 - v0)
    }
}
