import Foundation

/// A heating holder's log followed while the holder software appends to it: the file is read
/// again whenever its size, modification time or inode changed (appended, rewritten or rotated),
/// and a read that fails keeps the last good samples (a line half-written at the end is simply
/// not there yet). Times are put on the microscope's clock with a fixed offset.
public struct LiveTemperatureLog: Sendable {
    public let path: String
    /// Seconds added to the log's times (holder PC clock → microscope PC clock).
    public let clockOffset: Double
    public private(set) var log: TemperatureLog?
    /// Why the last read failed (nil: it did not).
    public private(set) var lastError: String?
    private var key: FileKey?

    struct FileKey: Equatable, Sendable { var size: Int64; var mtime: Double; var inode: UInt64 }

    /// Reads the log once; a missing or unreadable log is an error at start (the configuration
    /// names a file that is not there).
    public init(path: String, clockOffset: Double = 0) throws(TemperatureLog.LogError) {
        self.path = path
        self.clockOffset = clockOffset
        key = Self.key(path)
        log = try TemperatureLog.read(path: path).shifted(by: clockOffset)
    }

    static func key(_ path: String) -> FileKey? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileKey(size: Int64(st.st_size), mtime: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9,
                       inode: UInt64(st.st_ino))
    }

    /// Reads the file again if it changed since the last read; returns whether new samples came.
    @discardableResult
    public mutating func refresh() -> Bool {
        let k = Self.key(path)
        guard k != key else { return false }
        key = k
        do {
            let fresh = try TemperatureLog.read(path: path).shifted(by: clockOffset)
            let changed = fresh != log
            log = fresh
            lastError = nil
            return changed
        } catch {
            lastError = error.description
            return false
        }
    }

    /// The temperature at `time` and the log line it comes from, reading the file again first when
    /// `time` lies after the last sample known.
    public mutating func reading(at time: Double) -> (celsius: Double, line: Int)? {
        if let span = log?.span, time <= span.upperBound, time >= span.lowerBound { return log?.reading(at: time) }
        refresh()
        return log?.reading(at: time)
    }
}
