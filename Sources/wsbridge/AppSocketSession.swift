import ArgumentParser
import NIOPosix
import WSBridgeClient
import WSBridgeConfig

/// The running daemon's app socket for `wsbridge COMMAND`: `--app-socket`, else the config file's,
/// else the first found (``AppSocketSearch``). A config file that does not load is a usage error; no
/// socket found is printed as one line and ends the command with exit status 1.
func daemonAppSocket(config: String?, flag: String?, command: String) throws -> String {
    let configured: String
    do {
        configured = try ConfigLoader.load(file: config).appSocket
    } catch {
        throw ValidationError(error.description)
    }
    switch AppSocketSearch.resolve(flag: flag, config: config, configured: configured) {
    case .success(let found):
        return found
    case .failure(let failure):
        printError("wsbridge \(command): \(failure)")
        throw ExitCode(1)
    }
}

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
