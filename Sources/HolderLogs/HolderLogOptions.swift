extension HolderLogReader {
    /// How a generic CSV/TSV log's time column is written.
    public enum TimeKind: Sendable, Equatable {
        /// ISO 8601 date-times (`2026-12-01T10:00:00`, `2026-12-01 10:00:00.5`, optional `Z` or
        /// `±hh:mm`); without a zone they are taken as UTC.
        case iso8601
        /// Unix seconds (may have a fraction).
        case epochSeconds
        /// Seconds elapsed since `start` (Unix s); with a nil start, times stay elapsed seconds.
        case elapsedSeconds(start: Double?)
    }

    /// Reading options; the defaults detect everything from the content.
    public struct Options: Sendable, Equatable {
        /// Seconds added to every time of the log to put it on the microscope's clock
        /// (microscope clock − holder clock, including any time-zone difference).
        public var clockOffset: Double
        /// Generic CSV: the time column's name; nil picks the first column whose name holds
        /// "time" or "date", else the first column.
        public var timeColumn: String?
        /// Generic CSV: how times are written; nil detects ISO 8601, then Unix seconds
        /// (values above 10⁸), else elapsed seconds with no start.
        public var timeKind: TimeKind?
        /// Channels to keep, by name or title; nil keeps every numeric column.
        public var columns: [String]?
        /// Field delimiter; nil detects `,`, `;` or tab from the header line (Protochips and
        /// Impulse are always `,`, DigiHeater always tab).
        public var delimiter: Character?
        /// Whether numbers use a decimal comma (`23,5`); nil detects it: only when the delimiter
        /// is `;` or tab and numeric fields hold a `,`.
        public var decimalComma: Bool?
        /// Largest file read, bytes.
        public var maxBytes: Int
        /// Most data rows read.
        public var maxRows: Int
        /// Most columns per row.
        public var maxColumns: Int
        /// Fraction of data rows (0…1) that may have the wrong field count and be skipped;
        /// a single bad last line (a log still being written) is always tolerated.
        public var maxBadRowFraction: Double

        public init(clockOffset: Double = 0, timeColumn: String? = nil, timeKind: TimeKind? = nil,
                    columns: [String]? = nil, delimiter: Character? = nil, decimalComma: Bool? = nil,
                    maxBytes: Int = 256 << 20, maxRows: Int = 5_000_000, maxColumns: Int = 512,
                    maxBadRowFraction: Double = 0.01) {
            self.clockOffset = clockOffset
            self.timeColumn = timeColumn
            self.timeKind = timeKind
            self.columns = columns
            self.delimiter = delimiter
            self.decimalComma = decimalComma
            self.maxBytes = maxBytes
            self.maxRows = maxRows
            self.maxColumns = maxColumns
            self.maxBadRowFraction = maxBadRowFraction
        }
    }
}
