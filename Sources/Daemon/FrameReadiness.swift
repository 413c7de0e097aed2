import Foundation
import FrameFormats
import TIFFFrame

/// Decides when a file that appeared in the acquisition directory can be processed.
///
/// A frame is read only when libtiff can read it completely. A truncated or still-growing file
/// is retried until its size and modification time have not changed for `quietPeriod` seconds;
/// if it still cannot be read then, it is failed with the reader's reason ("truncated TIFF, 1.2 MB
/// of 2.1 MB read"). Files that can never become frames (not TIFF, RGB, zero bytes after the quiet
/// period) fail with their reason. Nothing is dropped silently.
public struct FrameReadiness: Sendable {
    /// Seconds a file must stay unchanged before an unreadable file is declared failed.
    public var quietPeriod: Double
    /// Seconds between retries.
    public var retryInterval: Double
    /// How formats that need a choice are read (the Velox EMD signal).
    public var options = FrameFiles.Options()

    public init(quietPeriod: Double = 5, retryInterval: Double = 0.2) {
        self.quietPeriod = quietPeriod
        self.retryInterval = retryInterval
    }

    /// The outcome for one file.
    public enum Outcome: Sendable {
        case frames([Frame], FileState)
        case failed(reason: String, FileState?)
    }

    /// Errors worth waiting for: the writer may still be writing.
    static func mayStillBeWriting(_ e: FrameReadError) -> Bool {
        switch e {
        case .emptyFile, .truncated, .corrupt, .notTIFF, .corruptFile, .unknownFormat: return true
        case .fileNotFound, .unsupportedColor, .unsupportedSampleType, .notRegularFile, .unreadable, .tooLarge,
             .unsupportedData: return false
        }
    }

    /// The outcome of one look at a file, without waiting (the daemon's frame loop goes on with
    /// other files and comes back to one that is ``Attempt/notYet``).
    public enum Attempt: Sendable {
        /// Read completely: its frames (pages), and any damaged later page that was dropped.
        case frames([Frame], FileState, damagedPage: String?)
        /// Unreadable, but it changed less than `quietPeriod` ago: the writer may still be writing.
        case notYet(reason: String, FileState)
        /// Unreadable for good (or unchanged for `quietPeriod`): record it failed with the reason.
        case failed(reason: String, FileState)
        /// The machine, not the file, is the problem (too many open files, an I/O error): retry later.
        case environmental(reason: String, FileState)
        /// The file is gone (renamed away or deleted before it was read).
        case vanished
    }

    /// Reads `path` once. `now` is injectable for tests.
    public func attempt(_ path: String, maxPixels: Int = TIFFReader.defaultMaxPixels,
                        now: Double = Date().timeIntervalSince1970) -> Attempt {
        guard let state = FileState.of(path) else { return .vanished }
        var damaged: String? = nil
        do {
            var o = options
            o.maxPixels = maxPixels
            let frames = try FrameFiles.read(path: path, options: o) { damaged = $0.description }
            // Unchanged during the read: a complete file.
            guard let after = FileState.of(path) else { return .vanished }
            if after.sameVersion(as: state) { return .frames(frames, state, damagedPage: damaged) }
            return .notYet(reason: "changed while it was read", after)
        } catch {
            if case .fileNotFound = error { return .vanished }
            if error.isEnvironmental { return .environmental(reason: error.description, state) }
            if !Self.mayStillBeWriting(error) { return .failed(reason: error.description, state) }
            // A modification time in the future (a writer's clock ahead) says nothing about being
            // written now: such a file counts as old.
            if now - state.modified >= quietPeriod || state.modified > now + 2 {
                return .failed(reason: error.description, state)
            }
            return .notYet(reason: error.description, state)
        }
    }

    /// Reads `path`, waiting while it is still being written. `now` and `sleep` are injectable for tests.
    public func read(_ path: String, sleep: (Double) async -> Void = { try? await Task.sleep(nanoseconds: UInt64($0 * 1e9)) },
                     now: () -> Double = { Date().timeIntervalSince1970 }) async -> Outcome {
        var lastState: FileState? = nil
        var stableSince = now()
        while true {
            let state = FileState.of(path)
            guard let state else { return .failed(reason: FrameReadError.fileNotFound(path: path).description, nil) }
            if !(lastState.map { $0.sameVersion(as: state) } ?? false) { lastState = state; stableSince = now() }
            do {
                let frames = try FrameFiles.read(path: path, options: options)
                // Unchanged during the read: a complete file.
                if let after = FileState.of(path), after.sameVersion(as: state) { return .frames(frames, state) }
            } catch {
                if !Self.mayStillBeWriting(error) { return .failed(reason: error.description, state) }
                if now() - stableSince >= quietPeriod { return .failed(reason: error.description, state) }
            }
            await sleep(retryInterval)
        }
    }
}
