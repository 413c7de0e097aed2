/// Why a frame's structure could not be measured.
public enum StructureError: Error, Equatable, CustomStringConvertible {
    /// Fewer columns than the lattice needs.
    case tooFewColumns(found: Int, needed: Int)
    /// No two independent lattice directions among the columns' neighbour vectors.
    case noLattice(String)
    /// A value out of range in the settings.
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .tooFewColumns(let n, let need):
            "only \(n) columns: at least \(need) are needed to measure the lattice"
        case .noLattice(let why):
            "no crystal lattice found among the columns (\(why)); are they atomic columns of one crystal seen along a zone axis?"
        case .invalidSettings(let why): "structure settings: \(why)"
        }
    }
}
