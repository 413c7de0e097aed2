import StemCore

/// One fitted column as the structure analysis sees it.
public struct StructureColumn: Sendable, Codable, Equatable {
    /// Position, px (x = column index, y = row index).
    public var x: Double
    public var y: Double
    /// Atoms, when counted.
    public var count: Int?
    /// Track id, when linked.
    public var track: Int?

    public init(x: Double, y: Double, count: Int? = nil, track: Int? = nil) {
        self.x = x; self.y = y; self.count = count; self.track = track
    }
}

/// Settings of the structure analysis.
public struct StructureSettings: Sendable, Codable, Equatable {
    /// Crystal lattice, lattice constant and zone axis; nil: the best match among
    /// ``Crystal/commonZoneAxes`` (lattice constant from |a₁| and the pixel size).
    public var crystal: Crystal?
    /// Pixel size, Å; nil: lengths in px.
    public var pixelSize: Double?
    /// Fewest columns on a facet (default 2).
    public var minimumFacetColumns: Int = 2
    /// Longest lattice row considered for facets, × |b₁| (default 1.75: for fcc [110] the
    /// {111}, {100} and {110} rows).
    public var maximumRowLength: Double = 1.75
    /// Largest distance of a neighbour vector from the ideal one, × |a₁| (default 0.3).
    public var tolerance: Double = 0.3
    /// Fewest columns of a particle (default 3); smaller groups are left out.
    public var minimumParticleColumns: Int = 3

    public init(crystal: Crystal? = nil, pixelSize: Double? = nil) {
        self.crystal = crystal; self.pixelSize = pixelSize
    }
}

/// The structure of one frame.
public struct FrameStructure: Sendable, Codable, Equatable {
    /// Measured reduced lattice basis, px.
    public var lattice: MeasuredLattice
    /// The crystal used to label facets (configured, or the best match).
    public var crystal: Crystal
    /// Misfit of that crystal's projected cell against the measured one (see ``ZoneAxisCandidate``).
    public var misfit: Double
    /// Best matches among the common zone axes, best first (at most 4).
    public var candidates: [ZoneAxisCandidate]
    /// Particles, largest first.
    public var particles: [ParticleMeasure]
    /// Facets of all particles.
    public var facets: [Facet]
    /// Per column: fewer in-plane neighbours than a bulk column.
    public var surface: [Bool]
    /// Per column: its particle (nil when in a group smaller than the minimum).
    public var particle: [Int?]
    /// Per column: its lattice site (coefficients of the reduced basis; per particle origin).
    public var site: [LatticeOffset?]
    /// Pixel size used, Å/px (nil: lengths in px).
    public var pixelSize: Double?
    /// "Å", or "px" without a pixel size.
    public var lengthUnit: String
}

/// Lattice, particles, surface columns and facets of one frame, from its fitted columns.
public struct StructureAnalyzer: Sendable {
    public let settings: StructureSettings

    public init(settings: StructureSettings) throws(StructureError) {
        if let p = settings.pixelSize, !(p > 0 && p.isFinite) { throw .invalidSettings("pixel size must be positive (got \(p) Å)") }
        if let c = settings.crystal, !(c.latticeConstant > 0 && c.latticeConstant.isFinite) {
            throw .invalidSettings("lattice constant must be positive (got \(c.latticeConstant) Å)")
        }
        guard settings.minimumFacetColumns >= 2 else { throw .invalidSettings("a facet needs at least 2 columns") }
        guard settings.maximumRowLength >= 1 else { throw .invalidSettings("maximum row length must be ≥ 1 × |b₁|") }
        guard settings.tolerance > 0 && settings.tolerance < 0.5 else { throw .invalidSettings("tolerance must be in (0, 0.5) × |a₁|") }
        self.settings = settings
    }

    /// The structure of one frame's columns. `framePixelSize` (Å, e.g. from the file) is used when
    /// the settings give none.
    public func analyze(_ columns: [StructureColumn], framePixelSize: Double? = nil) throws(StructureError) -> FrameStructure {
        let pixelSize = settings.pixelSize ?? framePixelSize.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
        let points = columns.map { Point(x: $0.x, y: $0.y) }
        let lattice = try MeasuredLattice.measure(points)
        let candidates = ZoneAxisMatch.rank(lattice, pixelSize: pixelSize,
                                            latticeConstant: settings.crystal?.latticeConstant)
        let crystal: Crystal
        let misfit: Double
        if let c = settings.crystal {
            crystal = c
            misfit = ZoneAxisMatch.rank(lattice, pixelSize: pixelSize, latticeConstant: c.latticeConstant,
                                        zoneAxes: [(c.lattice, c.zoneAxis)])[0].misfit
        } else {
            let best = candidates[0]
            crystal = Crystal(lattice: best.lattice, latticeConstant: best.impliedLatticeConstant, zoneAxis: best.zoneAxis)
            misfit = best.misfit
        }
        let model = ProjectedLattice(crystal)
        let indexing = LatticeIndexing(points: points, lattice: lattice, neighbours: model.neighbourOffsets,
                                       tolerance: settings.tolerance * lattice.length1)
        // Surface: fewer occupied neighbour sites than a bulk column (sites per group).
        var surface = [Bool](repeating: false, count: columns.count)
        for g in indexing.groups {
            let occupied = Set(g.compactMap { indexing.site[$0] })
            for i in g {
                guard let s = indexing.site[i] else { surface[i] = true; continue }
                surface[i] = model.neighbourOffsets.contains { !occupied.contains(s + $0) }
            }
        }
        let scale = pixelSize ?? 1
        let xy = columns.map { SIMD2($0.x, $0.y) }
        let counts = columns.map(\.count), tracks = columns.map(\.track)
        let groups = indexing.groups.filter { $0.count >= settings.minimumParticleColumns }
            .sorted { ($0.count, -$0[0]) > ($1.count, -$1[0]) }
        var particleOf = [Int?](repeating: nil, count: columns.count)
        var particles: [ParticleMeasure] = []
        var facets: [Facet] = []
        let finder = FacetFinder(model: model, lattice: lattice, maximumRowLength: settings.maximumRowLength,
                                 minimumColumns: settings.minimumFacetColumns)
        for (k, g) in groups.enumerated() {
            for i in g { particleOf[i] = k }
            particles.append(ParticleMeasure.measure(index: k, members: g, points: xy, counts: counts,
                                                     cellArea: lattice.cellArea, scale: scale, surface: surface))
            facets += finder.facets(particle: k, members: g, site: indexing.site, points: xy, tracks: tracks, scale: scale)
        }
        return FrameStructure(lattice: lattice, crystal: crystal, misfit: misfit, candidates: Array(candidates.prefix(4)),
                              particles: particles, facets: facets, surface: surface, particle: particleOf,
                              site: indexing.site, pixelSize: pixelSize, lengthUnit: pixelSize == nil ? "px" : "Å")
    }
}
