import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsbridge-bench",
        abstract: "Load tool for wsbridge and its baselines (bench/floor, nginx + Nchan): docs/benchmarks.md.",
        discussion: """
            Opens WebSocket connections over loopback source addresses (and over child processes when \
            one process can't hold them all), publishes through Redis, the app socket, the floor's \
            control socket or Nchan's HTTP publisher, and reports connects/s, deliveries/s, the CPU and \
            memory of the processes under test (--server-pid, --redis-pid) and its own CPU. Every \
            address must be in 127.0.0.0/8.
            """,
        subcommands: [
            IdleCommand.self, UnicastCommand.self, BroadcastCommand.self, LatencyCommand.self, PresenceCommand.self, HoldCommand.self,
        ]
    )
}
