// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "wsbridge",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wsbridge", targets: ["wsbridge"]),
        .executable(name: "wsbridge-bench", targets: ["wsbridge-bench"]),
        .executable(name: "nio-floor", targets: ["nio-floor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // System libraries: a module map and a shim header, nothing else.
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        .systemLibrary(
            name: "CSystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),

        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // permessage-deflate (RFC 7692): negotiation, whole-message compression and bounded
        // decompression over zlib. The only importer of CZlib.
        .target(
            name: "WSBridgeDeflate",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Socket activation, sd_notify, signals: the only importer of CSystemd.
        .target(
            name: "WSBridgeSystem",
            dependencies: [
                "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The WebSocket frame header's length field, written and read alike by the server, the load tool
        // and the tests' clients. NIOCore only.
        .target(
            name: "WSBridgeFrameHeader",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),

        // Config file format, validation, defaults. No networking.
        .target(name: "WSBridgeConfig"),

        // JWT verification (HS256, RS256). No networking.
        .target(
            name: "WSBridgeAuth",
            dependencies: [
                "WSBridgeJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // JSON scanning and the text encodings (JSON strings, base64 and base64url) shared by the channel
        // envelope, the app protocol, JWT verification and the load tool. NIOCore only.
        .target(
            name: "WSBridgeJSON",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),

        // The app-socket wire protocol: frame codec, request parser, event encoder. NIOCore only.
        .target(
            name: "WSBridgeProtocol",
            dependencies: [
                "WSBridgeJSON",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/WSBridgeProtocol"
        ),

        // A client of the app socket for Swift apps and wsbridge's own CLI.
        .target(
            name: "WSBridgeClient",
            dependencies: [
                "WSBridgeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // Envelopes, sessions, the per-event-loop registry and fan-out. No sockets.
        .target(
            name: "WSBridgeCore",
            dependencies: [
                "WSBridgeJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // The broker interface, the embedded in-process broker and the Redis broker
        // (the only importer of CHiredis). WSBridgeConfig only for RedisEndpoint, the Redis URL.
        .target(
            name: "WSBridgeBroker",
            dependencies: [
                "CHiredis",
                "WSBridgeConfig",
                "WSBridgeJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),

        // The WebSocket listener: HTTP, upgrade, auth, origin, one handler per connection.
        .target(
            name: "WSBridgeEdge",
            dependencies: [
                "WSBridgeFrameHeader",
                "WSBridgeJSON",
                "WSBridgeCore",
                "WSBridgeDeflate",
                "WSBridgeAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),

        // The Unix-socket listener for local apps: one handler per attached app, app auth, app sessions.
        // A sibling of the edge: both meet in Core's interfaces (HandshakeAuthenticator, ClientEventSink,
        // ConnectionHandle), and neither imports the other or HTTP.
        .target(
            name: "WSBridgeAppLink",
            dependencies: [
                "WSBridgeProtocol",
                "WSBridgeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),

        // The admin listener: /metrics (Prometheus text format, rendered by swift-prometheus), /healthz
        // and /readyz. Knows nothing of the daemon's parts: it renders a MetricsSnapshot.
        .target(
            name: "WSBridgeAdmin",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Composition root: config -> services, in dependency order.
        .target(
            name: "WSBridgeDaemon",
            dependencies: [
                "WSBridgeSystem",
                "WSBridgeAdmin",
                "WSBridgeAppLink",
                "WSBridgeProtocol",
                "WSBridgeJSON",
                "WSBridgeConfig",
                "WSBridgeAuth",
                "WSBridgeCore",
                "WSBridgeBroker",
                "WSBridgeEdge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),

        // @main: subcommands and argument validation, nothing else.
        .executableTarget(
            name: "wsbridge",
            dependencies: [
                "WSBridgeClient",
                "WSBridgeProtocol",
                "WSBridgeConfig",
                "WSBridgeCore",
                "WSBridgeBroker",
                "WSBridgeDaemon",
                "WSBridgeAuth",
                "WSBridgeJSON",
                "WSBridgeSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The load tool (docs/benchmarks.md). Its engine: WebSocket load clients, publishers, measurements.
        .target(
            name: "WSBridgeBenchKit",
            dependencies: [
                "WSBridgeFrameHeader",
                "WSBridgeJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/wsbridge-bench/BenchKit"
        ),

        // @main of the load tool: subcommands, options, output.
        .executableTarget(
            name: "wsbridge-bench",
            dependencies: [
                "WSBridgeBenchKit",
                "WSBridgeSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/wsbridge-bench/CLI"
        ),

        // bench/floor's server written with SwiftNIO: what a NIO channel per connection costs (docs/benchmarks.md).
        .executableTarget(
            name: "nio-floor",
            dependencies: [
                "WSBridgeFrameHeader",
                "WSBridgeJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/nio-floor"
        ),

        // Test support: the heap in use (glibc's mallinfo2), for tests that bound a structure's memory.
        .target(name: "CHeapStats", path: "Tests/CHeapStats"),

        // Test support: a redis-server launcher, a small NIO WebSocket client, eventually, clean finishes.
        .target(
            name: "WSBridgeTestSupport",
            dependencies: [
                "WSBridgeFrameHeader",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/WSBridgeTestSupport"
        ),

        .testTarget(
            name: "WSBridgeBenchKitTests",
            dependencies: [
                "WSBridgeBenchKit",
                "WSBridgeAuth",
                "WSBridgeFrameHeader",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "WSBridgeConfigTests", dependencies: ["WSBridgeConfig"]),
        .testTarget(
            name: "WSBridgeFrameHeaderTests",
            dependencies: ["WSBridgeFrameHeader", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "WSBridgeDeflateTests",
            dependencies: ["WSBridgeDeflate", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "WSBridgeJSONTests",
            dependencies: ["WSBridgeJSON", "WSBridgeTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "WSBridgeProtocolTests",
            dependencies: [
                "WSBridgeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WSBridgeClientTests",
            dependencies: [
                "WSBridgeClient",
                "WSBridgeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WSBridgeAuthTests",
            dependencies: [
                "WSBridgeAuth",
                "WSBridgeJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "WSBridgeCoreTests",
            dependencies: [
                "WSBridgeCore",
                "WSBridgeJSON",
                "WSBridgeTestSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WSBridgeBrokerTests",
            dependencies: [
                "CHeapStats",
                "WSBridgeBroker",
                "WSBridgeTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WSBridgeEdgeTests",
            dependencies: [
                "WSBridgeEdge",
                "WSBridgeCore",
                "WSBridgeDeflate",
                "WSBridgeFrameHeader",
                "WSBridgeTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WSBridgeAppLinkTests",
            dependencies: [
                "WSBridgeAppLink",
                "WSBridgeProtocol",
                "WSBridgeCore",
                "WSBridgeTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "WSBridgeSystemTests", dependencies: ["WSBridgeSystem"]),
        .testTarget(
            name: "WSBridgeAdminTests",
            dependencies: [
                "WSBridgeAdmin",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WSBridgeDaemonTests",
            dependencies: [
                "WSBridgeClient",
                "WSBridgeProtocol",
                "WSBridgeDaemon",
                "WSBridgeConfig",
                "WSBridgeCore",
                "WSBridgeBroker",
                "WSBridgeTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
