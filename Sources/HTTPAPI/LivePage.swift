/// The live dashboard (`GET /`): one HTML document with its CSS and JavaScript inline (no CDN, no
/// files at run time: the document is `Resources/live.html`, embedded in the binary at build time). It polls `/api/summary` every 2 s and, when a new frame was committed,
/// redraws: the latest frame's PNG with the fitted columns coloured by atom count and the tracks'
/// recent paths (SVG overlay), the cross-section histogram with the frame's mixture model and
/// its ICL curve, atoms/columns against time and temperature, facet lengths per family against
/// time, and the latest events. Series are fetched incrementally (`after=` the last frame seen).
///
/// For tests and headless checks the page sets `data-state` on `<body>`: `rendered` once every
/// panel drew with no script error, `error` (with the message in `#errors`) otherwise.
enum LivePage {
    /// The page, from `Resources/live.html` (compiled into the binary: nothing to install beside it).
    static let html = String(decoding: PackageResources.live_html, as: UTF8.self)
}
