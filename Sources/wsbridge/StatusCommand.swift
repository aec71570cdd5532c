import ArgumentParser
import Foundation
import WSBridgeConfig

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
    static func render(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return json
        }
        func dict(_ key: String) -> [String: Any] { object[key] as? [String: Any] ?? [:] }
        func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }
        let broker = dict("broker")
        let connections = dict("connections")
        var lines: [String] = []
        lines.append(
            "node        \(object["node"] ?? "?")  (wsbridge \(object["version"] ?? "?"), up \(Self.duration(int(object["uptime_seconds"]))), \(object["phase"] ?? "?"))")
        let listen = dict("listen")
        var listening = "\(listen["scheme"] ?? "ws")://\(listen["websocket"] ?? "?")\(listen["path"] ?? "")"
        if let admin = listen["admin"] as? String { listening += "  admin http://\(admin)" }
        listening += "  app socket \(listen["app_socket"] ?? "?")"
        lines.append("listening   " + listening)
        lines.append("auth        \(object["auth"] ?? "?")")
        let linked = (broker["linked"] as? Bool) == true ? "linked" : "DOWN"
        let durable = (broker["durable"] as? Bool) == true ? "durable" : "best effort only"
        // The embedded broker's target is its kind; a Redis target is a URL that says redis.
        let kind = "\(broker["kind"] ?? "?")", target = "\(broker["target"] ?? "")"
        let name = target.isEmpty || target == kind ? kind : target
        lines.append(
            "broker      \(name)  \(linked), \(durable), \(int(broker["reconnects"])) reconnects, \(int(broker["probe_misses"])) probe misses")
        let history = dict("history")
        lines.append(
            "history     \(int(history["streams_tracked"])) streams tracked, \(int(history["catchups"])) catch-ups, \(int(history["recovered_messages"])) messages recovered, \(int(history["gaps"])) gaps")
        lines.append("connections \(int(connections["websocket"])) WebSocket, \(int(connections["sse"])) SSE, \(int(connections["tcp"])) TCP, \(int(connections["sessions"])) sessions")
        lines.append("users       \(int(object["users"]))")
        let apps = object["apps"] as? [[String: Any]] ?? []
        lines.append("apps        \(apps.count)")
        for app in apps {
            let paths = (app["paths"] as? [String] ?? []).joined(separator: ",")
            lines.append("  \(app["name"] ?? "?")  pid \(int(app["pid"])) uid \(int(app["uid"]))  paths \(paths.isEmpty ? "-" : paths)  \(int(app["connections"])) connections")
        }
        let limits = dict("limits_hit").filter { int($0.value) > 0 }.sorted { $0.key < $1.key }
        lines.append("limits hit  " + (limits.isEmpty ? "none" : limits.map { "\($0.key) \(int($0.value))" }.joined(separator: ", ")))
        let counters = dict("counters").sorted { $0.key < $1.key }.map { "\($0.key) \(int($0.value))" }
        lines.append("counters    " + counters.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func duration(_ seconds: Int) -> String {
        seconds >= 3600 ? "\(seconds / 3600)h\(seconds % 3600 / 60)m" : seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }
}
