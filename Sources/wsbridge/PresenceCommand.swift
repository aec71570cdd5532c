import ArgumentParser
import WSBridgeConfig

import WSBridgeProtocol

struct PresenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence",
        abstract: "Show whether users are online: their sessions and the hosts they are on, across every host.",
        discussion: """
            Asks the running daemon over its app socket (found as for wsbridge status). With Redis the \
            answer covers every host (one round trip for all the users given); a host that died leaves \
            it within presence_ttl. Exit status 0 when every user given is online, 3 when one or more \
            are offline, 1 when the daemon could not answer.
            """
    )

    @Option(name: .long, help: "Config file to read app_socket from.")
    var config: String?
    @Option(name: .long, help: "The daemon's app socket (default: the config file's, else the first found; see wsbridge(8)).")
    var appSocket: String?
    @Flag(name: .long, help: "Print one JSON object: {\"<user>\":{\"sessions\":N,\"hosts\":M},…}.")
    var json = false
    @Argument(help: "The users to look up.")
    var users: [String]

    func validate() throws {
        guard !self.users.isEmpty else { throw ValidationError("give at least one user id") }
        if let empty = self.users.firstIndex(where: \.isEmpty) {
            throw ValidationError("user \(empty + 1) is empty")
        }
        guard self.users.count <= AppProtocol.maxUsersPerPublish else {
            throw ValidationError("at most \(AppProtocol.maxUsersPerPublish) users at once, got \(self.users.count)")
        }
    }

    func run() async throws {
        let socket = try daemonAppSocket(config: self.config, flag: self.appSocket, command: "presence")
        var answer: [AppPresence] = []
        let users = self.users
        try await withAppClient(socket: socket, name: "wsbridge-presence") { client in
            answer = try await client.presence(users)
        }
        print(self.json ? Self.json(answer) : Self.table(answer))
        if answer.contains(where: { $0.sessions == 0 }) {
            throw ExitCode(3)
        }
    }

    static func json(_ answer: [AppPresence]) -> String { AppPresence.jsonObject(answer) }

    static func table(_ answer: [AppPresence]) -> String {
        let width = max(4, answer.map(\.user.count).max() ?? 0)
        func pad(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        var lines = [pad("user") + "  state    sessions  hosts"]
        for user in answer {
            let state = user.sessions > 0 ? "online " : "offline"
            lines.append(pad(user.user) + "  \(state)  \(String(user.sessions).padding(8))  \(user.hosts)")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The text left-aligned in `width` columns.
    fileprivate func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - self.count))
    }
}
