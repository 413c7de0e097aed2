/// Why a simulation could not be set up or written. The descriptions are meant for the user.
public enum SimulationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Settings out of range; each string says which value and why.
    case invalidSettings([String])
    /// The output directory cannot be created or written to.
    case outputDirectory(path: String, reason: String)
    /// A file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSettings(let problems): return "invalid simulation settings: " + problems.joined(separator: "; ")
        case .outputDirectory(let path, let reason): return "output directory \(path): \(reason)"
        case .writeFailed(let path, let reason): return "\(path): \(reason)"
        }
    }
}
