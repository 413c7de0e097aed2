import Foundation
import Hummingbird
import TrajectoryStore

/// Routes of the API and the live page:
///
/// | route | answer |
/// |---|---|
/// | `GET /` | the live page (HTML, JS and CSS embedded in the binary) |
/// | `GET /api/summary` | ``SummaryResponse`` |
/// | `GET /api/frames` | ``FramesPage`` (`limit`, `after`, `from`, `to`, `time_from`, `time_to`, `temp_min`, `temp_max`, `status`) |
/// | `GET /api/series` | ``SeriesResponse`` (`y`, `x`, `x_min`, `x_max`, `buckets`, `since`, frame range, time, temperature) |
/// | `GET /api/frames/{n}` | ``TrajectoryStore/FrameRecord`` |
/// | `GET /api/frames/{n}/columns` | ``FrameColumns`` |
/// | `GET /api/frames/{n}/icl` | ``Report/ICLCurve`` |
/// | `GET /api/frames/{n}/paths` | ``TrackPaths`` (`length`) |
/// | `GET /api/frames/{n}/image.png` | PNG |
/// | `GET /api/tracks` | ``TracksPage`` (`limit`, `after`, `from`, `to`, …, `min_observations`) |
/// | `GET /api/tracks/{id}` | ``TrackHistory`` (`from`, `to`) |
/// | `GET /api/events` | ``EventsList`` (`kind`, `track`, `limit`, frame range, time, temperature) |
/// | `GET /api/facets` | ``FacetsList`` (`family`, `limit`, frame range, time, temperature) |
/// | `GET /api/models` | ``ModelsList`` |
/// | `GET /api/runs` | ``RunsList``: every run (instrument, name, start, status, frames) |
/// | `GET /api/changes` | `text/event-stream`: one `frame` event per committed frame (`{"instrument","run","frame"}`) |
///
/// Every endpoint takes `run` (a run's name) and `instrument`: the run to read; without them, the
/// store's only run or its most recently started one.
/// | `GET /healthz` | ``HealthResponse`` (200 healthy, 503 not) |
/// | `GET /metrics` | Prometheus text exposition (``Monitoring/DaemonMetrics``) |
///
/// Errors: `{"error": "..."}` with 400 (bad parameter), 404 (unknown frame, track or route),
/// 503 (database not there yet) or 500.
public enum APIRouter {
    /// A router serving `api` (GET only: nothing can change the store).
    public static func make(_ api: DashboardAPI, health: HealthSource? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in html(LivePage.html) }
        let source = health ?? .heartbeat(api.store)
        router.get("/healthz") { _, _ in
            let h = await HealthEndpoints.health(source)
            let data = (try? encoder.encode(h)) ?? Data()
            return json(data, status: h.status == "ok" ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: await HealthEndpoints.metrics(source))))
        }
        router.get("/api/summary") { req, _ in
            await respond { try await scoped(api, req).summary(try query(req, DashboardAPI.filterKeys)) }
        }
        router.get("/api/frames") { req, _ in
            await respond {
                try await scoped(api, req).frames(try query(req, DashboardAPI.filterKeys.union(["limit", "after", "status"])))
            }
        }
        router.get("/api/series") { req, _ in
            await respond { try await scoped(api, req).series(try query(req, DashboardAPI.seriesKeys)) }
        }
        router.get("/api/frames/:frame") { req, ctx in
            await respond { try await scoped(api, req).frame(try frameID(req, ctx, keys: [])) }
        }
        router.get("/api/frames/:frame/columns") { req, ctx in
            await respond { try await scoped(api, req).columns(frame: try frameID(req, ctx, keys: [])) }
        }
        router.get("/api/frames/:frame/icl") { req, ctx in
            await respond { try await scoped(api, req).icl(frame: try frameID(req, ctx, keys: [])) }
        }
        router.get("/api/frames/:frame/paths") { req, ctx in
            await respond {
                let n = try frameID(req, ctx, keys: ["length"])
                return try await scoped(api, req).paths(frame: n, try query(req, ["length"]))
            }
        }
        router.get("/api/frames/:frame/image.png") { req, ctx in
            do {
                let png = try await scoped(api, req).image(frame: try frameID(req, ctx, keys: []))
                return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "max-age=3600"],
                                body: .init(byteBuffer: ByteBuffer(bytes: png)))
            } catch {
                return errorResponse(error)
            }
        }
        router.get("/api/tracks") { req, _ in
            await respond {
                try await scoped(api, req).tracks(try query(req, DashboardAPI.filterKeys.union(["limit", "after", "min_observations"])))
            }
        }
        router.get("/api/tracks/:track") { req, ctx in
            await respond {
                _ = try query(req, ["from", "to"])
                let id = try QueryParameters.id(ctx.parameters.get("track"), name: "track id")
                return try await scoped(api, req).track(id, try query(req, ["from", "to"]))
            }
        }
        router.get("/api/events") { req, _ in
            await respond { try await scoped(api, req).events(try query(req, DashboardAPI.filterKeys.union(["limit", "kind", "track"]))) }
        }
        router.get("/api/facets") { req, _ in
            await respond { try await scoped(api, req).facets(try query(req, DashboardAPI.filterKeys.union(["limit", "family"]))) }
        }
        router.get("/api/models") { req, _ in
            await respond { _ = try query(req, []); return try await scoped(api, req).models() }
        }
        router.get("/api/runs") { req, _ in
            await respond { _ = try query(req, []); return try await api.runs() }
        }
        router.get("/api/changes") { req, _ in
            do {
                _ = try query(req, [])
                let stream = await api.changes.subscribe(try scoped(api, req).run)
                return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                                body: ResponseBody { writer in
                                    try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                                    try await ChangeEvents.write(stream, to: &writer)
                                    try await writer.finish(nil)
                                })
            } catch {
                return errorResponse(error)
            }
        }
        router.get("/api/**") { req, _ in
            errorResponse(APIError.notFound("no endpoint \(QueryParameters.clip(req.uri.path))"))
        }
        return router
    }

    /// Keys every endpoint takes: which run to read (default: the only or the latest one).
    static let runKeys: Set<String> = ["run", "instrument"]

    static func query(_ req: Request, _ allowed: Set<String>) throws(APIError) -> QueryParameters {
        let pairs = req.uri.queryParameters.map { (key: String(String($0.key).removingPercentEncoding ?? String($0.key)), value: String($0.value)) }
        return try QueryParameters(pairs, allowed: allowed.union(runKeys))
    }

    /// `api` reading the run named by the request's `run` and `instrument` parameters.
    static func scoped(_ api: DashboardAPI, _ req: Request) throws(APIError) -> DashboardAPI {
        let pairs = req.uri.queryParameters.filter { runKeys.contains(String($0.key)) }
            .map { (key: String($0.key), value: String($0.value)) }
        let q = try QueryParameters(pairs, allowed: runKeys)
        return api.reading(RunSelection(name: try q.label("run"), instrument: try q.label("instrument")))
    }

    static func frameID(_ req: Request, _ ctx: BasicRequestContext, keys: Set<String>) throws(APIError) -> Int {
        _ = try query(req, keys)
        return try QueryParameters.id(ctx.parameters.get("frame"), name: "frame number")
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }()

    static func respond<T: Encodable>(_ body: () async throws -> T) async -> Response {
        do {
            let value = try await body()
            return json(try encoder.encode(value), status: .ok)
        } catch {
            return errorResponse(error)
        }
    }

    static func errorResponse(_ error: any Error) -> Response {
        let api: APIError = (error as? APIError) ?? .failed("\(error)")
        let data = (try? encoder.encode(ErrorBody(error: api.description))) ?? Data("{\"error\":\"internal error\"}".utf8)
        return json(data, status: HTTPResponse.Status(code: api.status))
    }

    static func json(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
