import ArgumentParser
import WSBridgeCore

@main
struct WSBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsbridge",
        abstract: "WebSocket fan-out sidecar: send to user A, reach A's sessions on every host.",
        discussion: """
            wsbridge owns the WebSocket listener browsers connect to and the Redis pub/sub subscription \
            (or an embedded in-process broker when no Redis is configured). See wsbridge(8) and docs/.
            """,
        version: "wsbridge \(WSBridgeVersion.string)",
        subcommands: [ServeCommand.self, PublishCommand.self, PresenceCommand.self, StatusCommand.self, CheckConfigCommand.self]
    )
}
