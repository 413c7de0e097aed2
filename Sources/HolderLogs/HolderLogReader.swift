/// Reads heating-holder logs (Protochips, DENSsolutions DigiHeater and Impulse, generic CSV/TSV)
/// into a `HolderLog`, telling the format from the content.
public enum HolderLogReader {
    /// Reads the log at `path`.
    ///
    /// - Throws: `HolderLogError` for missing, empty, binary or oversized files, unknown or
    ///   broken formats, non-numeric values, too many malformed rows, and time going backwards.
    public static func read(path: String, options: Options = Options()) throws(HolderLogError) -> HolderLog {
        let text = try LogText.load(path: path, maxBytes: options.maxBytes)
        let format = try FormatDetection.detect(text, path: path, delimiter: options.delimiter)
        var log: HolderLog
        switch format {
        case .protochips: log = try ProtochipsLog.read(text, path: path, options: options)
        case .densDigiHeater: log = try DigiHeaterLog.read(text, path: path, options: options)
        case .densImpulse: log = try ImpulseLog.read(text, path: path, options: options)
        case .generic: log = try GenericLog.read(text, path: path, options: options)
        }
        log = try select(log, columns: options.columns, path: path)
        return shifted(log, by: options.clockOffset)
    }

    /// Detects the format of the log at `path` without reading its data.
    public static func format(path: String, maxBytes: Int = Options().maxBytes) throws(HolderLogError) -> HolderLog.Format {
        try FormatDetection.detect(LogText.load(path: path, maxBytes: maxBytes), path: path)
    }

    /// Keeps only the channels named in `columns` (by name or title), in that order.
    static func select(_ log: HolderLog, columns: [String]?, path: String) throws(HolderLogError) -> HolderLog {
        guard let columns else { return log }
        var kept: [HolderLog.Channel] = []
        for name in columns {
            guard let channel = log.channel(named: name) else {
                throw .columnNotFound(path: path, name: name, available: log.channels.map(\.title))
            }
            kept.append(channel)
        }
        var out = log
        out.channels = kept
        return out
    }

    /// Adds the clock offset to every time.
    static func shifted(_ log: HolderLog, by offset: Double) -> HolderLog {
        guard offset != 0 else { return log }
        var out = log
        out.times = log.times.map { $0 + offset }
        out.start = log.start.map { $0 + offset }
        out.headerStart = log.headerStart.map { $0 + offset }
        return out
    }
}
