import Foundation
import HummingbirdCore
import NIOCore
import TrajectoryStore

/// Server-sent events of `GET /api/changes`: `event: frame` with `{"instrument","run","frame"}`
/// per committed frame, and a comment line every 15 s so that proxies keep the connection.
enum ChangeEvents {
    static let keepAlive: UInt64 = 15_000_000_000

    static func write(_ stream: AsyncStream<StoreChange>, to writer: inout any ResponseBodyWriter) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Changes and keep-alive ticks merged into one sequence.
        let (merged, input) = AsyncStream.makeStream(of: StoreChange?.self)
        let feeder = Task {
            for await c in stream { input.yield(c) }
            input.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: keepAlive)
                input.yield(nil)
            }
        }
        defer { feeder.cancel(); ticker.cancel() }
        for await item in merged {
            if let c = item {
                let json = String(decoding: try encoder.encode(c), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "event: frame\ndata: \(json)\n\n"))
            } else {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
            }
        }
    }
}
