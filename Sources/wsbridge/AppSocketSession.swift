import ArgumentParser
import NIOPosix
import WSBridgeClient

/// Attaches to the daemon's app socket as a tool (no paths), runs `body`, detaches. Errors are printed
/// as one line and end the command with exit status 1.
func withAppClient(socket: String, name: String, _ body: (WSBridgeAppClient) async throws -> Void) async throws {
    let group = MultiThreadedEventLoopGroup.singleton
    let client: WSBridgeAppClient
    do {
        client = try await WSBridgeAppClient.connect(socketPath: socket, name: name, paths: [], tool: true, group: group)
    } catch {
        printError("wsbridge: \(error)")
        throw ExitCode(1)
    }
    do {
        try await body(client)
        await client.close()
    } catch {
        await client.close()
        printError("wsbridge: \(error)")
        throw ExitCode(1)
    }
}
