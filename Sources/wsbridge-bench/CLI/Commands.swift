import ArgumentParser
import Foundation
import WSBridgeBenchKit

#if canImport(Glibc)
import Glibc
#endif

struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Open and hold N connections: connects/s, and the server's RSS per connection (--server-pid).",
        discussion: "RSS is read from /proc/PID/status (VmRSS) before connecting and --settle seconds after.")

    @OptionGroup var load: LoadOptions

    func run() async throws {
        try await Runner(load: load).runIdle()
    }
}

struct UnicastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unicast",
        abstract: "Messages to random users: deliveries/s, server and Redis CPU per delivery.",
        discussion: """
            Each message is {"user":"uN","data":"<payload>"} to a user drawn at random among --users \
            (default rate: 5000/s; --max for as fast as acknowledgements allow).
            """)

    @OptionGroup var load: LoadOptions
    @OptionGroup var publish: PublishOptions
    @OptionGroup var pacing: PacingOptions

    func run() async throws {
        let rate = pacing.max ? nil : (pacing.rate ?? 5000)
        try await Runner(load: load).runPublishing(
            scenario: "unicast", publish: publish, rate: rate, audience: .randomUser(users: load.effectiveUsers),
            recordLatency: false)
    }
}

struct BroadcastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast",
        abstract: "Messages to everyone: deliveries/s, server CPU per delivery.",
        discussion: "Each message is {\"all\":true,\"data\":\"<payload>\"} (default rate: 100/s).")

    @OptionGroup var load: LoadOptions
    @OptionGroup var publish: PublishOptions
    @OptionGroup var pacing: PacingOptions

    func run() async throws {
        let rate = pacing.max ? nil : (pacing.rate ?? 100)
        try await Runner(load: load).runPublishing(
            scenario: "broadcast", publish: publish, rate: rate, audience: .everyone, recordLatency: false)
    }
}

struct LatencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Timestamped messages to random users at a fixed rate: publish-to-receipt p50/p99/p99.9/max.",
        discussion: """
            Each payload starts with its send time (CLOCK_MONOTONIC ns as 16 hex digits); the receiving \
            connection subtracts it from its read time and records the difference in an HdrHistogram \
            (default rate: 1000/s).
            """)

    @OptionGroup var load: LoadOptions
    @OptionGroup var publish: PublishOptions
    @Option(help: "Messages per second, evenly spaced.")
    var rate: Double = 1000

    func validate() throws {
        guard rate > 0, rate <= 10_000_000 else { throw ValidationError("--rate must be in (0, 10000000]") }
    }

    func run() async throws {
        try await Runner(load: load).runPublishing(
            scenario: "latency", publish: publish, rate: rate, audience: .randomUser(users: load.effectiveUsers),
            recordLatency: true)
    }
}

struct PresenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence",
        abstract: "Presence queries on the app socket at a fixed rate: reply latency, server and Redis CPU per query.",
        discussion: """
            Each query is {"type":"presence","users":[…]} for --batch consecutive users from one drawn at \
            random among --users (default rate: 1000/s). --messages is the number of queries; the \
            connections are only there to be found (nothing is delivered). Needs --via app.
            """)

    @OptionGroup var load: LoadOptions
    @OptionGroup var publish: PublishOptions
    @OptionGroup var pacing: PacingOptions
    @Option(help: "Users per query.")
    var batch: Int = 1

    func validate() throws {
        guard batch >= 1, batch <= 10_000 else { throw ValidationError("--batch must be 1...10000") }
        guard publish.via == .app else { throw ValidationError("presence queries go through the app socket: give --via app") }
    }

    func run() async throws {
        let rate = pacing.max ? nil : (pacing.rate ?? 1000)
        try await Runner(load: load).runPublishing(
            scenario: "presence", publish: publish, rate: rate,
            audience: .presence(users: load.effectiveUsers, batch: batch), recordLatency: false)
    }
}

/// A load child: `LoadSpec` as a JSON line on stdin, then one command per line (`snapshot`, `reset`,
/// `exit`), each answered by one JSON line on stdout. Not for people.
struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_hold", abstract: "Internal: hold a share of the load for a parent process.",
        shouldDisplay: false)

    func run() async throws {
        ProcStats.raiseOpenFileLimit()
        signal(SIGPIPE, SIG_IGN)
        var input = LineReader(fd: 0)
        guard let specLine = try input.readLine() else { throw BenchError("no load spec on stdin") }
        let spec = try JSONDecoder().decode(LoadSpec.self, from: Data(specLine))
        let pool = try await LoadPool(spec: spec)
        let encoder = JSONEncoder()
        func answer(_ snapshot: ClientSnapshot) throws {
            var copy = snapshot
            copy.cpuNanoseconds = ProcStats.ownCPUNanoseconds()
            var line = try encoder.encode(copy)
            line.append(UInt8(ascii: "\n"))
            try writeAll(fd: 1, bytes: Array(line))
        }
        try answer(try await pool.connectAll())
        while let line = try input.readLine() {
            switch String(decoding: line, as: UTF8.self) {
            case "snapshot":
                try answer(try await pool.snapshot())
            case "reset":
                try await pool.resetCounters()
                try answer(ClientSnapshot())
            default:
                let last = try await pool.snapshot()
                await pool.closeAll()
                try answer(last)
                await pool.shutdown()
                return
            }
        }
        await pool.closeAll()
        await pool.shutdown()
    }
}
