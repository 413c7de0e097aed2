extension HolderLog {
    /// Physical quantities a holder logs, recognised from channel names and units.
    public enum Quantity: String, Sendable, CaseIterable {
        /// Sample (heater) temperature, °C.
        case temperature
        /// Heating power (DigiHeater `Pheat`, mW).
        case power
        /// Heating or biasing current (Protochips `Current`, DigiHeater `Iheat`).
        case current
        /// Heating or biasing voltage (Protochips `Voltage`, DigiHeater `Vheat`).
        case voltage
        /// Heater resistance (Protochips `Resistance`, DigiHeater `Rheat`).
        case resistance
        /// Gas pressure (Protochips `Pressure`, Impulse `Pin`/`Pout`/`Pnr`).
        case pressure
        /// Gas composition (Impulse `% GasN Measured`).
        case gas

        /// Whether a channel carries this quantity, judged from its name and unit.
        func matches(_ channel: Channel) -> Bool {
            let name = channel.name.lowercased()
            let unit = (channel.unit ?? "").lowercased()
            switch self {
            case .temperature:
                return name.contains("temperature") || name == "tmeas" || name == "tset"
                    || unit == "c" || unit == "degc" || unit == "°c" || unit == "degrees c"
            case .power: return name.contains("power") || name == "pheat" || unit == "mw" || unit == "w"
            case .current: return name.contains("current") || name == "iheat" || unit == "ma" || unit == "amps"
            case .voltage: return name.contains("voltage") || name == "vheat" || unit == "v" || unit == "volts"
            case .resistance: return name.contains("resistance") || name == "rheat" || unit == "ohm" || unit == "ohms"
            case .pressure:
                return name.contains("pressure") || ["pin measured", "pout measured", "pnr measured"].contains(name)
                    || ["torr", "mbar", "bar", "pa"].contains(unit)
            case .gas: return name.hasPrefix("% gas") || name.contains("gas") && unit == "%"
            }
        }

        /// Set points (`Tset`, `… Set`, `… Target`) rank after measured values.
        static func isSetPoint(_ channel: Channel) -> Bool {
            let name = channel.name.lowercased()
            return name == "tset" || name.contains("set") && !name.contains("measured") || name.contains("target")
        }
    }
}
