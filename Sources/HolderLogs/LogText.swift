import Foundation

/// A log file's text split into lines, after the size and binary-content checks.
struct LogText {
    /// One line of text and its 1-based line number in the file.
    struct Line {
        var number: Int
        var text: Substring
    }

    /// Every line, blank ones included (so that line numbers match the file).
    var lines: [Line]

    /// Bytes inspected for binary content: NUL bytes or more than 1 % control characters other
    /// than tab, CR, LF and form feed mark a file as binary.
    static let sniffBytes = 65_536

    /// Reads `path`, refusing missing, empty, oversized and binary files.
    static func load(path: String, maxBytes: Int) throws(HolderLogError) -> LogText {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotOpen(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .cannotOpen(path: path, reason: "it is a folder, not a file") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maxBytes {
            throw .tooLarge(path: path, bytes: size, limit: maxBytes)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .cannotOpen(path: path, reason: error.localizedDescription)
        }
        if data.count > maxBytes { throw .tooLarge(path: path, bytes: data.count, limit: maxBytes) }
        return try parse(data: data, path: path)
    }

    /// Decodes bytes (UTF-8, else Latin-1 as older holder software writes `°`) and splits lines.
    static func parse(data: Data, path: String) throws(HolderLogError) -> LogText {
        if data.isEmpty { throw .empty(path: path) }
        let head = data.prefix(sniffBytes)
        var control = 0
        for byte in head {
            if byte == 0 { throw .notText(path: path) }
            if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D && byte != 0x0C { control += 1 }
        }
        if control * 100 > head.count { throw .notText(path: path) }
        var text = String(data: data, encoding: .utf8) ?? String(decoding: data.map { $0 }, as: UTF8.self)
        if text.contains("\u{FFFD}"), let latin = String(data: data, encoding: .isoLatin1) { text = latin }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var lines: [Line] = []
        var number = 0
        for piece in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }) {
            number += 1
            lines.append(Line(number: number, text: piece))
        }
        if lines.allSatisfy({ $0.text.allSatisfy(\.isWhitespace) }) { throw .empty(path: path) }
        return LogText(lines: lines)
    }
}
