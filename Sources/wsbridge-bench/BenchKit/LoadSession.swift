import NIOCore
import NIOPosix

/// The load connections of a run, held in this process or spread over child processes.
public final class LoadSession {
    private enum Backend {
        case local(LoadPool)
        case children(ChildPool)
    }

    /// The publisher's own thread: its pacing does not wait behind the load's reads.
    private let publisherGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private let backend: Backend
    private var finished: ClientSnapshot?
    public let connections: Int
    public let processes: Int

    /// Starts opening `total` connections described by `template` (its index range is replaced):
    /// in this process when `processes == 1`, else in `processes` children running `executable`.
    public init(template: LoadSpec, total: Int, processes: Int, executable: String) async throws {
        self.connections = total
        self.processes = processes
        if processes <= 1 {
            var spec = template
            spec.firstIndex = 0
            spec.count = total
            backend = .local(try await LoadPool(spec: spec))
        } else {
            var specs: [LoadSpec] = []
            var first = 0
            for index in 0..<processes {
                var spec = template
                spec.firstIndex = first
                spec.count = total / processes + (index < total % processes ? 1 : 0)
                spec.connectConcurrency = max(1, template.connectConcurrency / processes)
                first += spec.count
                specs.append(spec)
            }
            backend = .children(try ChildPool(executable: executable, specs: specs))
        }
    }

    /// Waits until every connection completed its handshake or failed.
    public func connect() async throws -> ClientSnapshot {
        switch backend {
        case .local(let pool): return try await pool.connectAll()
        case .children(let pool): return try pool.connected()
        }
    }

    public func snapshot() async throws -> ClientSnapshot {
        switch backend {
        case .local(let pool):
            var snapshot = try await pool.snapshot()
            snapshot.cpuNanoseconds = 0
            return snapshot
        case .children(let pool): return try pool.snapshot()
        }
    }

    public func reset() async throws {
        switch backend {
        case .local(let pool): try await pool.resetCounters()
        case .children(let pool): try pool.reset()
        }
    }

    /// The loop the publisher runs on (its own thread).
    public var publishLoop: EventLoop { publisherGroup.next() }

    /// Closes every connection, ends the children, and returns the last totals (with the children's
    /// CPU). Later calls return the same totals without doing anything.
    public func finish() async throws -> ClientSnapshot {
        if let finished { return finished }
        finished = ClientSnapshot()
        switch backend {
        case .local(let pool):
            let last = try? await pool.snapshot()
            await pool.closeAll()
            await pool.shutdown()
            finished = last
        case .children(let pool):
            finished = try? pool.finish()
        }
        try? await publisherGroup.shutdownGracefully()
        guard let last = finished else { throw BenchError("could not read the load's last totals") }
        return last
    }
}
