import ArgumentParser

/// A failure while doing the work (a file that cannot be read, a fit that fails, a store that
/// cannot be opened), as opposed to a wrong command line: printed as one line
/// ("Error: frame.tif: truncated TIFF, 1.2 MB of 2.1 MB read") without the usage text, exit
/// status 1. Wrong arguments stay `ValidationError` (usage text, exit status 64).
struct RuntimeError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Exit statuses beyond 0/1 (sysexits.h), documented in the README.
enum ExitStatus {
    /// The configuration (file or flags) is wrong; restarting does not help (EX_CONFIG).
    static let configuration: Int32 = 78
    /// `fit`/`count` finished, but the result is physically implausible (see the warnings).
    static let implausible: Int32 = 3
}

import Foundation
import FrameFormats
import TIFFFrame

/// Reads a frame file for a command: every good page of a multi-page file (a damaged later page
/// and the ones after it are dropped with a warning on standard error), or a one-line error.
func readFramePages(_ path: String) throws -> [Frame] {
    do {
        return try FrameFiles.read(path: path) { damaged in
            FileHandle.standardError.write(Data("warning: \(damaged); the pages before it are used\n".utf8))
        }
    } catch {
        throw RuntimeError(error.description)
    }
}
