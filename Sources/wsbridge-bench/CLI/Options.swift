import ArgumentParser
import WSBridgeBenchKit
import WSBridgeSystem

extension BenchTarget: ExpressibleByArgument {}
extension AuthMode: ExpressibleByArgument {}

enum Via: String, ExpressibleByArgument, Sendable {
    case redis
    /// Redis, durably: `FCALL wsbridge_publish`.
    case fcall
    case app
}

/// How the load connects: shared by every scenario.
struct LoadOptions: ParsableArguments {
    @Option(help: "Server under load: wsbridge, floor (bench/floor) or nchan (bench/nchan).")
    var target: BenchTarget = .wsbridge
    @Option(help: "WebSocket URL without query (default: ws://127.0.0.1:8080/ws; nchan: ws://127.0.0.1:8090/sub).")
    var url: String?
    @Option(help: "Connections to open.")
    var connections: Int = 1000
    @Option(help: "Users the connections belong to (connection i is user u<i mod users>; default: one per connection).")
    var users: Int?
    @Option(help: "Source addresses to bind to, dealt round-robin (e.g. 127.0.0.1-127.0.0.16).")
    var sources: String = "127.0.0.1"
    @Option(help: "How connections authenticate to wsbridge: insecure-query (?user=) or jwt (?token=).")
    var auth: AuthMode = .insecureQuery
    @Option(help: "HS256 secret for --auth jwt (the daemon's jwt_secret).")
    var jwtSecret: String?
    @Option(help: "Event-loop threads per load process.")
    var threads: Int = 1
    @Option(help: "Load processes (0: one per CPU this process may run on, and at least as many as --per-process requires).")
    var processes: Int = 0
    @Option(help: "Most connections one load process holds.")
    var perProcess: Int = 18000
    @Option(help: "Handshakes in flight at once.")
    var connectConcurrency: Int = 512
    @Option(help: "Milliseconds a connect plus handshake may take.")
    var handshakeTimeout: Int64 = 10000
    @Option(help: "Seconds to wait after connecting, before measuring.")
    var settle: Double = 0.5
    @Option(help: "PID of a server process to measure (CPU, RSS); repeat for several (nginx master and workers).")
    var serverPid: [Int32] = []
    @Option(help: "PID of the Redis server to measure (CPU).")
    var redisPid: [Int32] = []
    @Flag(help: "Offer permessage-deflate; compressed messages are counted, not inflated (nor their stamps read).")
    var deflate = false
    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard connections >= 1, connections <= 1_000_000 else { throw ValidationError("--connections must be 1...1000000") }
        if let users, users < 1 || users > connections {
            throw ValidationError("--users must be between 1 and --connections")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        guard (0...64).contains(processes) else { throw ValidationError("--processes must be 0...64") }
        guard perProcess >= 1 else { throw ValidationError("--per-process must be positive") }
        guard connectConcurrency >= 1 else { throw ValidationError("--connect-concurrency must be positive") }
        guard handshakeTimeout >= 1 else { throw ValidationError("--handshake-timeout must be positive") }
        guard settle >= 0, settle <= 3600 else { throw ValidationError("--settle must be 0...3600 seconds") }
        if auth == .jwt && jwtSecret == nil { throw ValidationError("--auth jwt needs --jwt-secret") }
        if auth == .jwt && target == .nchan { throw ValidationError("--auth jwt applies to wsbridge and floor only") }
    }

    var effectiveUsers: Int { users ?? connections }

    /// One load process per usable CPU, so that a load given several cores (`taskset -c 1-3`) drives
    /// them all, and enough that none holds more than `perProcess` connections.
    var processCount: Int {
        if processes > 0 { return processes }
        return min(max(UsableCPUs.count(), (connections + perProcess - 1) / perProcess), connections, 64)
    }

    func makeSpec(recordLatency: Bool) throws -> LoadSpec {
        let text = url ?? (target == .nchan ? "ws://127.0.0.1:8090/sub" : "ws://127.0.0.1:8080/ws")
        var spec = LoadSpec(
            target: target, url: try LoopbackURL(parsing: text, schemes: ["ws", "http", "wss"]), users: effectiveUsers,
            sources: try SourceRange(parsing: sources), auth: auth, jwtSecret: jwtSecret, firstIndex: 0,
            count: connections, threads: threads, connectConcurrency: connectConcurrency,
            handshakeTimeoutMillis: handshakeTimeout, recordLatency: recordLatency)
        spec.deflate = deflate
        return spec
    }
}

/// How messages are published and paced: shared by unicast, broadcast and latency.
struct PublishOptions: ParsableArguments {
    @Option(help: "wsbridge: publish through redis (PUBLISH on --channel), fcall (FCALL wsbridge_publish: durable) or app (the app socket).")
    var via: Via = .redis
    @Option(help: "Redis URL (wsbridge --via redis).")
    var redis: String = "redis://127.0.0.1:6379"
    @Option(help: "Redis channel wsbridge subscribes to.")
    var channel: String = "websocket:sendMsgTopic"
    @Option(help: "wsbridge's app socket (--via app).")
    var appSocket: String = "wsbridge-app.sock"
    @Option(help: "bench/floor's control socket: HOST:PORT or unix:PATH.")
    var floorControl: String = "127.0.0.1:8082"
    @Option(help: "Nchan's publisher location; POST PREFIX/u<N> or PREFIX/all.")
    var nchanPublish: String = "http://127.0.0.1:8090/pub"
    @Option(help: "Messages to publish (measured).")
    var messages: Int = 1000
    @Option(help: "Messages first published and delivered without being measured.")
    var warmup: Int = 0
    @Option(help: "Bytes of each message's data (the first 16 are its send stamp).")
    var payloadBytes: Int = 100
    @Option(help: "Publishes awaiting their acknowledgement, at most (with --max).")
    var window: Int = 1000
    @Option(help: "Seed of the random draw of users.")
    var seed: UInt64 = 1
    @Option(help: "Seconds to wait for the last deliveries once every publish was acknowledged.")
    var drainTimeout: Double = 10
    @Option(help: "With --via redis, wait for this many subscribers on --channel before publishing (0: don't).")
    var waitSubscribers: Int = 1
    @Flag(help: "With --via app, ask for a delivery receipt with every publish (the reply waits for it).")
    var receipt = false

    func validate() throws {
        guard messages >= 1, messages <= 100_000_000 else { throw ValidationError("--messages must be 1...100000000") }
        guard warmup >= 0, warmup <= 10_000_000 else { throw ValidationError("--warmup must be 0...10000000") }
        guard payloadBytes >= 16, payloadBytes <= 65536 else {
            throw ValidationError("--payload-bytes must be 16...65536 (it starts with a 16-digit stamp)")
        }
        guard window >= 1 else { throw ValidationError("--window must be positive") }
        guard drainTimeout > 0, drainTimeout <= 3600 else { throw ValidationError("--drain-timeout must be 0...3600") }
        if receipt, via != .app { throw ValidationError("--receipt needs --via app (receipts are an app-socket request)") }
    }

    func route(target: BenchTarget) throws -> PublishRoute {
        switch target {
        case .wsbridge:
            switch via {
            case .redis: return .resp(try SocketEndpoint(parsing: redis, defaultPort: 6379), channel: channel)
            case .fcall: return .fcall(try SocketEndpoint(parsing: redis, defaultPort: 6379), channel: channel)
            case .app: return .appSocket(path: appSocket, receipt: receipt)
            }
        case .floor:
            return .resp(try SocketEndpoint(parsing: floorControl, defaultPort: 8082), channel: channel)
        case .nchan:
            let url = try LoopbackURL(parsing: nchanPublish, schemes: ["http"])
            let prefix = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
            return .nchanHTTP(url.endpoint, pathPrefix: prefix)
        }
    }
}

/// Pacing: a fixed rate or as fast as possible.
struct PacingOptions: ParsableArguments {
    @Option(help: "Messages per second, evenly spaced.")
    var rate: Double?
    @Flag(help: "As fast as acknowledgements allow (--window publishes in flight).")
    var max = false

    func validate() throws {
        if let rate, !(rate > 0 && rate <= 10_000_000) { throw ValidationError("--rate must be in (0, 10000000]") }
        if rate != nil && max { throw ValidationError("give --rate R or --max, not both") }
    }
}
