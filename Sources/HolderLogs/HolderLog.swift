/// One heating-holder log read into memory: the sample times and every channel the holder
/// software recorded (temperature, heating power/current/voltage/resistance, pressure, gas …).
///
/// Times are seconds. When the log states (or the caller gives) a start, `times` are Unix seconds
/// of each sample on the microscope's clock: the holder PC's wall-clock reading taken as if it
/// were UTC, plus `HolderLogReader.Options.clockOffset`. Holder software writes local wall-clock
/// time without a zone, so the clock offset is where both the time-zone difference and the drift
/// between the holder PC and the microscope PC go. When no start is known, `times` are elapsed
/// seconds since the log began (plus the clock offset) and `start` is nil.
///
/// Equality compares values exactly, so a log holding NaN samples is not `==` to itself (IEEE).
public struct HolderLog: Sendable, Equatable {
    /// The holder software that wrote the log, told apart by content, not by file name.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Protochips Fusion/Atmosphere/AXON CSV (`Time, Notes, <channel>…`).
        case protochips
        /// DENSsolutions DigiHeater `.dens` (tab separated, `sample time Tset[C] Tmeas[C] …`).
        case densDigiHeater
        /// DENSsolutions Impulse CSV (`TimeStamp,Experiment time,…`, start date in `_Metadata.log`).
        case densImpulse
        /// Any delimited text with a header line and a time column.
        case generic
    }

    /// One recorded quantity, one value per sample (NaN where the log wrote NaN).
    public struct Channel: Sendable, Equatable {
        /// The column name without its unit, e.g. `Channel A Temperature`, `Tmeas`.
        public var name: String
        /// The unit as the log writes it (`Degrees C`, `C`, `degC`, `mW`, `Torr` …), nil if none.
        public var unit: String?
        /// One value per entry of `HolderLog.times`, in `unit`.
        public var values: [Double]

        public init(name: String, unit: String?, values: [Double]) {
            self.name = name
            self.unit = unit
            self.values = values
        }

        /// `name (unit)`, or `name` without a unit: the title RosettaSciIO gives the channel.
        public var title: String { unit.map { "\(name) (\($0))" } ?? name }
    }

    /// Which reader produced this log.
    public var format: Format
    /// Unix seconds of the first sample (holder wall clock read as UTC, plus the clock offset);
    /// nil when the log gives no date and the caller gave no start.
    public var start: Double?
    /// The start the file's header states (Unix s, same zone assumption and offset), which can
    /// precede the first sample: DigiHeater gives the minute the log was opened, Impulse the
    /// second the experiment began, Protochips the first sample itself. Nil when none is stated.
    public var headerStart: Double?
    /// Sample times in seconds, non-decreasing: Unix s when `start` is known, elapsed s otherwise.
    public var times: [Double]
    /// Every numeric channel the log holds, in file order.
    public var channels: [Channel]
    /// Data rows left out because their field count was wrong (within the reader's tolerance,
    /// e.g. a last line cut short while the holder software was still writing).
    public var skippedRows: Int

    public init(format: Format, start: Double?, headerStart: Double?, times: [Double],
                channels: [Channel], skippedRows: Int = 0) {
        self.format = format
        self.start = start
        self.headerStart = headerStart
        self.times = times
        self.channels = channels
        self.skippedRows = skippedRows
    }

    /// The channel whose name or title equals `name` (case-insensitive), if any.
    public func channel(named name: String) -> Channel? {
        let key = name.lowercased()
        return channels.first { $0.name.lowercased() == key || $0.title.lowercased() == key }
    }

    /// The first channel of the given physical quantity, measured values preferred over set
    /// points (DigiHeater `Tmeas` before `Tset`).
    public func channel(_ quantity: Quantity) -> Channel? {
        let matching = channels.filter { quantity.matches($0) }
        return matching.first { !Quantity.isSetPoint($0) } ?? matching.first
    }

    /// The measured sample temperature channel (a shorthand for `channel(.temperature)`).
    public var temperature: Channel? { channel(.temperature) }
}
