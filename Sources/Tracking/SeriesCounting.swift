import AtomCount

/// Atom counting of a whole series for offline tracking.
///
/// Runs ``TimeSeriesCounter`` through the frames in order (a model per pooled window, refitted as
/// the pool grows or when a frame no longer fits), then recounts the early frames: a frame whose
/// model was fitted on fewer pooled frames than the best-supported model (the first one fitted on
/// the largest pool) is recounted with that model. Online, the first frames must be counted by a
/// model of one, two, four … frames; offline there is no reason to keep their less reliable counts,
/// and a count scale that changes between models would otherwise appear as count changes of
/// every column.
public enum SeriesCounting {
    public struct Result: Sendable {
        /// Counts per frame (nil: the frame could not be counted, e.g. fewer than 3 columns in
        /// the pool).
        public var counts: [[Int]?]
        /// Id of the model that counted each frame.
        public var modelIDs: [String?]
        public var models: [String: CountingModel]
        /// Frames recounted with the best-supported model.
        public var recounted: Int
    }

    public static func count(_ crossSections: [[Double]], counter: TimeSeriesCounter = TimeSeriesCounter()) -> Result {
        var counter = counter
        var counts: [[Int]?] = [], ids: [String?] = []
        var models: [String: CountingModel] = [:]
        var poolAtFit: [String: Int] = [:]
        var best: (id: String, pool: Int)? = nil
        for cs in crossSections {
            guard let r = try? counter.count(frame: cs) else { counts.append(nil); ids.append(nil); continue }
            models[r.model.id] = r.model
            if r.refitted || poolAtFit[r.model.id] == nil {
                let pool = counter.pool.count
                poolAtFit[r.model.id] = max(poolAtFit[r.model.id] ?? 0, pool)
                if best == nil || pool > best!.pool { best = (r.model.id, pool) }
            }
            counts.append(r.counts); ids.append(r.model.id)
        }
        var recounted = 0
        if let best, let m = models[best.id] {
            for k in crossSections.indices {
                guard let id = ids[k], (poolAtFit[id] ?? 0) < best.pool else { continue }
                counts[k] = crossSections[k].map(m.count)
                ids[k] = best.id
                recounted += 1
            }
        }
        let used = Set(ids.compactMap { $0 })
        return Result(counts: counts, modelIDs: ids, models: models.filter { used.contains($0.key) }, recounted: recounted)
    }
}
