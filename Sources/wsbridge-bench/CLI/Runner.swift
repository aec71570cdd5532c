import ArgumentParser
import Foundation
import NIOCore
import WSBridgeBenchKit

#if canImport(Glibc)
import Glibc
#endif

/// The path of this executable, for re-running it as a load child.
func ownExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return CommandLine.arguments.first ?? "wsbridge-bench" }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func seconds(_ ns: UInt64) -> Double { Double(ns) / 1e9 }

func sleepSeconds(_ s: Double) async throws {
    guard s > 0 else { return }
    try await Task.sleep(nanoseconds: UInt64(s * 1e9))
}

/// CPU readings taken together at the start and the end of a measured phase.
struct CPUReading {
    var server: UInt64?
    var redis: UInt64?
    var own: UInt64
    var children: UInt64

    static func take(server: WatchedProcesses, redis: WatchedProcesses, children: UInt64) -> CPUReading {
        CPUReading(
            server: server.cpuNanoseconds(), redis: redis.cpuNanoseconds(), own: ProcStats.ownCPUNanoseconds(),
            children: children)
    }
}

func delta(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
    guard let a, let b, b >= a else { return nil }
    return b - a
}

func perUnit(_ ns: UInt64?, _ units: Int) -> Double? {
    guard let ns, units > 0 else { return nil }
    return Double(ns) / 1000 / Double(units)
}

/// Opens the load, runs a scenario, prints the report.
struct Runner {
    let load: LoadOptions

    var server: WatchedProcesses { WatchedProcesses(pids: load.serverPid) }
    var redis: WatchedProcesses { WatchedProcesses(pids: load.redisPid) }

    func connect(recordLatency: Bool) async throws -> (LoadSession, ConnectReport, ClientSnapshot) {
        ProcStats.raiseOpenFileLimit()
        signal(SIGPIPE, SIG_IGN)
        let spec = try load.makeSpec(recordLatency: recordLatency)
        let startNs = monotonicNanoseconds()
        let ownBefore = ProcStats.ownCPUNanoseconds()
        let session = try await LoadSession(
            template: spec, total: load.connections, processes: load.processCount, executable: ownExecutable())
        let snapshot = try await session.connect()
        // Children report their CPU since they started, which was after startNs.
        let loadCPU = ProcStats.ownCPUNanoseconds() - ownBefore + snapshot.cpuNanoseconds
        let wall = monotonicNanoseconds() - startNs
        let span = snapshot.lastConnectedNs > snapshot.firstConnectStartNs
            ? snapshot.lastConnectedNs - snapshot.firstConnectStartNs : 0
        let report = ConnectReport(
            requested: load.connections, opened: snapshot.opened, failed: snapshot.failed,
            firstError: snapshot.firstError, seconds: seconds(span),
            perSecond: span > 0 ? Double(snapshot.opened) / seconds(span) : 0, processes: session.processes,
            threadsPerProcess: load.threads, sources: spec.sources.description,
            loadCPUMicrosecondsPerConnect: perUnit(loadCPU, snapshot.opened),
            loadBusyCores: wall > 0 ? Double(loadCPU) / Double(wall) : nil)
        return (session, report, snapshot)
    }

    func emit(_ report: Report) throws {
        print(load.json ? try report.jsonText() : report.humanText())
        fflush(nil)
        if !report.complete { throw ExitCode(1) }
    }

    // MARK: idle

    func runIdle() async throws {
        let rssBefore = server.residentBytes()
        let kernelBefore = KernelSocketMemory.read()
        let before = CPUReading.take(server: server, redis: redis, children: 0)
        let startNs = monotonicNanoseconds()
        let (session, connectReport, _) = try await connect(recordLatency: false)
        let connected = CPUReading.take(server: server, redis: redis, children: 0)
        try await sleepSeconds(load.settle)
        let rssAfter = server.residentBytes()
        let kernelAfter = KernelSocketMemory.read()
        let snapshot = try await session.snapshot()
        let final = try await session.finish()
        let endNs = monotonicNanoseconds()
        let after = CPUReading.take(server: server, redis: redis, children: 0)
        var problems: [String] = []
        if connectReport.failed > 0 { problems.append("\(connectReport.failed) connections failed") }
        let lost = snapshot.dropped + snapshot.closedByServer
        if lost > 0 { problems.append("\(lost) connections were closed by the server while held") }
        var serverReport: ProcessReport?
        if !server.isEmpty {
            var perConnection: Double?
            if let rssBefore, let rssAfter, connectReport.opened > 0 {
                perConnection = (Double(rssAfter) - Double(rssBefore)) / Double(connectReport.opened)
            }
            let connectCPU = delta(before.server, connected.server)
            let perConnect = perUnit(connectCPU, connectReport.opened)
            serverReport = ProcessReport(
                pids: server.pids, names: server.names(), cpuSeconds: connectCPU.map(seconds),
                cpuMicrosecondsPerConnect: perConnect,
                connectsPerCPUSecond: perConnect.flatMap { $0 > 0 ? 1e6 / $0 : nil }, rssBeforeBytes: rssBefore,
                rssAfterBytes: rssAfter, rssPerConnectionBytes: perConnection)
        }
        let ownCPU = after.own - before.own + final.cpuNanoseconds
        let report = Report(
            scenario: "idle", target: load.target.rawValue, route: nil, connections: connectReport, publish: nil,
            deliveries: nil, server: serverReport, redis: nil,
            kernel: KernelReport(before: kernelBefore, after: kernelAfter, connections: connectReport.opened),
            load: LoadReport(
                processes: session.processes, threadsPerProcess: load.threads, cpuSeconds: seconds(ownCPU),
                cpuMicrosecondsPerDelivery: nil, busyCores: Double(ownCPU) / Double(max(endNs - startNs, 1))),
            latencyMicroseconds: nil, complete: problems.isEmpty, problems: problems)
        try emit(report)
    }

    // MARK: publishing scenarios

    func runPublishing(
        scenario: String, publish: PublishOptions, rate: Double?, audience: PublishPlan.Audience, recordLatency: Bool
    ) async throws {
        let route = try publish.route(target: load.target)
        let (session, connectReport, _) = try await connect(recordLatency: recordLatency)
        var problems: [String] = []
        if connectReport.failed > 0 { problems.append("\(connectReport.failed) connections failed") }
        let report: Report
        do {
            try await sleepSeconds(load.settle)
            let loop = session.publishLoop
            switch route {
            case .resp(let endpoint, let channel), .fcall(let endpoint, let channel):
                if load.target == .wsbridge, publish.waitSubscribers > 0 {
                    try await RESPQuery.waitForSubscribers(
                        endpoint: endpoint, channel: channel, count: publish.waitSubscribers, timeoutSeconds: 10, on: loop)
                }
            default:
                break
            }
            func plan(_ messages: Int) -> PublishPlan {
                PublishPlan(
                    messages: messages, rate: rate, window: publish.window, audience: audience,
                    payloadBytes: publish.payloadBytes, connections: connectReport.opened, seed: publish.seed)
            }
            if publish.warmup > 0 {
                let warm = try await Publisher.run(
                    plan: plan(publish.warmup), route: route, on: loop, stallSeconds: publish.drainTimeout)
                _ = try await waitForDeliveries(session, expected: warm.expectedDeliveries, drain: publish.drainTimeout)
                try await session.reset()
            }
            let startSnapshot = try await session.snapshot()
            let before = CPUReading.take(server: server, redis: redis, children: startSnapshot.cpuNanoseconds)
            let wallStart = monotonicNanoseconds()
            let result = try await Publisher.run(
                plan: plan(publish.messages), route: route, on: loop, stallSeconds: publish.drainTimeout)
            let snapshot = try await waitForDeliveries(
                session, expected: result.expectedDeliveries, drain: publish.drainTimeout)
            let after = CPUReading.take(server: server, redis: redis, children: snapshot.cpuNanoseconds)
            let wallEnd = monotonicNanoseconds()
            _ = try await session.finish()

            let received = snapshot.messages
            if result.acknowledged < publish.messages || result.errors > 0 {
                problems.append("\(result.acknowledged) of \(publish.messages) publishes acknowledged, \(result.errors) errors")
            }
            if received != result.expectedDeliveries {
                problems.append("received \(received) of \(result.expectedDeliveries) expected deliveries")
            }
            if snapshot.closedByServer + snapshot.dropped > 0 {
                problems.append("\(snapshot.closedByServer + snapshot.dropped) connections closed during the run")
            }
            if snapshot.badStamps > 0 { problems.append("\(snapshot.badStamps) messages without a readable stamp") }
            if snapshot.protocolErrors > 0 { problems.append("\(snapshot.protocolErrors) WebSocket protocol errors") }
            let deliverySpan = snapshot.lastReceiptNs > result.firstSendNs ? snapshot.lastReceiptNs - result.firstSendNs : 0
            let serverCPU = delta(before.server, after.server)
            let redisCPU = delta(before.redis, after.redis)
            let ownCPU = after.own - before.own + (after.children &- before.children)
            var latency: LatencyReport?
            if recordLatency, let histogram = snapshot.latency { latency = LatencyReport(histogram) }
            report = Report(
                scenario: scenario, target: load.target.rawValue, route: route.description, connections: connectReport,
                publish: PublishReport(
                    messages: publish.messages, rate: rate, window: rate == nil ? publish.window : nil,
                    payloadBytes: publish.payloadBytes, sent: result.sent, acknowledged: result.acknowledged,
                    errors: result.errors, firstError: result.firstError, receiversReported: result.receiversReported,
                    largestBatch: result.largestBatch, seconds: seconds(result.lastSendNs &- result.firstSendNs),
                    ackP50Microseconds: Double(result.ackP50Ns) / 1000, ackP99Microseconds: Double(result.ackP99Ns) / 1000,
                    ackMaxMicroseconds: Double(result.ackMaxNs) / 1000),
                deliveries: DeliveryReport(
                    expected: result.expectedDeliveries, received: received, seconds: seconds(deliverySpan),
                    perSecond: deliverySpan > 0 ? Double(received) / seconds(deliverySpan) : 0,
                    closedByServer: snapshot.closeCodes, dropped: snapshot.dropped,
                    compressed: snapshot.compressedMessages, payloadBytes: snapshot.payloadBytes),
                server: server.isEmpty
                    ? nil
                    : ProcessReport(
                        pids: server.pids, names: server.names(), cpuSeconds: serverCPU.map(seconds),
                        cpuMicrosecondsPerDelivery: perUnit(serverCPU, received),
                        cpuMicrosecondsPerMessage: perUnit(serverCPU, result.sent)),
                redis: redis.isEmpty
                    ? nil
                    : ProcessReport(
                        pids: redis.pids, names: redis.names(), cpuSeconds: redisCPU.map(seconds),
                        cpuMicrosecondsPerDelivery: perUnit(redisCPU, received),
                        cpuMicrosecondsPerMessage: perUnit(redisCPU, result.sent)),
                load: LoadReport(
                    processes: session.processes, threadsPerProcess: load.threads, cpuSeconds: seconds(ownCPU),
                    cpuMicrosecondsPerDelivery: perUnit(ownCPU, received),
                    busyCores: Double(ownCPU) / Double(max(wallEnd - wallStart, 1))),
                latencyMicroseconds: latency, complete: problems.isEmpty, problems: problems)
        } catch {
            _ = try? await session.finish()
            throw error
        }
        try emit(report)
    }

    /// Polls the load until `expected` messages arrived, or nothing arrived for `drain` seconds.
    func waitForDeliveries(_ session: LoadSession, expected: Int, drain: Double) async throws -> ClientSnapshot {
        let interval: UInt64 = session.processes > 1 ? 20_000_000 : 2_000_000
        var last = try await session.snapshot()
        var lastProgress = monotonicNanoseconds()
        let drainNs = UInt64(drain * 1e9)
        while last.messages < expected && monotonicNanoseconds() - lastProgress < drainNs {
            try await Task.sleep(nanoseconds: interval)
            let now = try await session.snapshot()
            if now.messages > last.messages { lastProgress = monotonicNanoseconds() }
            last = now
        }
        return last
    }
}
