import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import WSBridgeConfig
import WSBridgeProtocol

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the running daemon holds: connections, users, apps, broker, limits hit."
    )

    @Option(name: .long, help: "Config file to read app_socket from.")
    var config: String?
    @Option(name: .long, help: "The daemon's app socket (default: the config file's, else the first found; see wsbridge(8)).")
    var appSocket: String?
    @Flag(name: .long, help: "Print the status as one JSON object.")
    var json = false

    func run() async throws {
        let socket = try daemonAppSocket(config: self.config, flag: self.appSocket, command: "status")
        let asJSON = self.json
        try await withAppClient(socket: socket, name: "wsbridge-status") { client in
            let body = try await client.status()
            let text = String(buffer: body)
            print(asJSON ? text : StatusReport.render(text))
        }
    }
}

/// The human-readable form of the daemon's status JSON.
enum StatusReport {
    /// The status as lines of text; JSON that is not a ``DaemonStatus`` is shown as it is.
    static func render(_ json: String) -> String {
        guard let status = try? JSONDecoder().decode(DaemonStatus.self, from: Data(json.utf8)) else {
            return json
        }
        return Self.render(status)
    }

    static func render(_ status: DaemonStatus) -> String {
        var lines: [String] = []
        lines.append(
            "node        \(status.node)  (wsbridge \(status.version), up \(Self.duration(status.uptimeSeconds)), \(status.phase))")
        let listen = status.listen
        var listening = "\(listen.scheme)://\(listen.websocket)\(listen.path)"
        if let admin = listen.admin { listening += "  admin http://\(admin)" }
        listening += "  app socket \(listen.appSocket)"
        lines.append("listening   " + listening)
        lines.append("auth        \(status.auth)")
        let broker = status.broker
        // The embedded broker's target is its kind; a Redis target is a URL that says redis.
        let name = broker.target.isEmpty || broker.target == broker.kind ? broker.kind : broker.target
        lines.append(
            "broker      \(name)  \(broker.linked ? "linked" : "DOWN"), \(broker.durable ? "durable" : "best effort only"), "
                + "\(broker.reconnects) reconnects, \(broker.probeMisses) probe misses")
        let history = status.history
        lines.append(
            "history     \(history.streamsTracked) streams tracked, \(history.catchups) catch-ups, "
                + "\(history.recoveredMessages) messages recovered, \(history.gaps) gaps")
        let connections = status.connections
        let streams = connections.sse.map { ", \($0) SSE" } ?? ""
        lines.append("connections \(connections.websocket) WebSocket\(streams), \(connections.tcp) TCP, \(connections.sessions) sessions")
        lines.append("users       \(status.users)")
        lines.append("apps        \(status.apps.count)")
        for app in status.apps {
            let paths = app.paths.isEmpty ? "-" : app.paths.joined(separator: ",")
            lines.append("  \(app.name)  pid \(app.pid) uid \(app.uid)  paths \(paths)  \(app.connections) connections")
        }
        let limits = status.limitsHit.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        lines.append("limits hit  " + (limits.isEmpty ? "none" : limits.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        let counters = status.counters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("counters    " + counters.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func duration(_ seconds: Int) -> String {
        seconds >= 3600 ? "\(seconds / 3600)h\(seconds % 3600 / 60)m" : seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }
}
