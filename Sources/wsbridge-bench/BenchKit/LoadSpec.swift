import Crypto
import WSBridgeJSON

/// The server under load: decides the WebSocket path of each user and how messages are published.
public enum BenchTarget: String, Codable, Sendable, CaseIterable {
    /// wsbridge: `PATH?user=uN` (insecure-query) or `PATH?token=JWT`.
    case wsbridge
    /// bench/floor: `PATH?user=uN`; publishes go to its control socket.
    case floor
    /// nginx + Nchan: `PATH/uN` (each subscriber location also multiplexes the `all` channel).
    case nchan
}

public enum AuthMode: String, Codable, Sendable, CaseIterable {
    case insecureQuery = "insecure-query"
    case jwt
}

/// Everything a process needs to open its share of the load connections. Sent to child processes
/// as JSON, so it holds only plain values.
public struct LoadSpec: Codable, Sendable {
    public var target: BenchTarget
    public var url: LoopbackURL
    /// Connection `i` belongs to user `u(i % users)`.
    public var users: Int
    public var sources: SourceRange
    public var auth: AuthMode
    public var jwtSecret: String?
    /// This process opens connections `[firstIndex, firstIndex + count)`.
    public var firstIndex: Int
    public var count: Int
    /// Event-loop threads of this process.
    public var threads: Int
    /// Connects in flight at once (per process).
    public var connectConcurrency: Int
    public var handshakeTimeoutMillis: Int64
    /// Read the send stamp of every message and record publish-to-receipt latency.
    public var recordLatency: Bool
    /// Offer permessage-deflate in the handshake. Compressed messages are counted, not inflated (the
    /// load tool measures the server's cost, and a compressed message's stamp is not read).
    public var deflate = false

    public init(
        target: BenchTarget, url: LoopbackURL, users: Int, sources: SourceRange, auth: AuthMode, jwtSecret: String?,
        firstIndex: Int, count: Int, threads: Int, connectConcurrency: Int, handshakeTimeoutMillis: Int64,
        recordLatency: Bool
    ) {
        self.target = target
        self.url = url
        self.users = users
        self.sources = sources
        self.auth = auth
        self.jwtSecret = jwtSecret
        self.firstIndex = firstIndex
        self.count = count
        self.threads = threads
        self.connectConcurrency = connectConcurrency
        self.handshakeTimeoutMillis = handshakeTimeoutMillis
        self.recordLatency = recordLatency
    }

    public static func userName(_ user: Int) -> String { "u\(user)" }

    public func user(ofConnection index: Int) -> Int { index % max(users, 1) }

    /// The HTTP upgrade request of connection `index`, as bytes.
    public func handshakeRequest(connection index: Int, tokens: JWTMinter?) -> [UInt8] {
        let user = Self.userName(self.user(ofConnection: index))
        let target: String
        switch self.target {
        case .nchan:
            let base = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
            target = "\(base)/\(user)"
        case .wsbridge, .floor:
            if auth == .jwt, let tokens {
                target = "\(url.path)?token=\(tokens.token(subject: user))"
            } else {
                target = "\(url.path)?user=\(user)"
            }
        }
        let request = "GET \(target) HTTP/1.1\r\nHost: \(url.endpoint)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + (deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") + "\r\n"
        return Array(request.utf8)
    }
}

/// HS256 tokens for `--auth jwt`: `{"sub": user, "exp": now + 1 day}`.
public struct JWTMinter: Sendable {
    private let secret: [UInt8]
    private let header: String
    private let expiry: Int

    public init(secret: String, now: Int) {
        self.secret = Array(secret.utf8)
        self.header = Base64.encode(#"{"alg":"HS256","typ":"JWT"}"#.utf8, variant: .url)
        self.expiry = now + 86_400
    }

    public func token(subject: String) -> String {
        let claims = Base64.encode(#"{"sub":"\#(subject)","exp":\#(expiry)}"#.utf8, variant: .url)
        let signingInput = "\(header).\(claims)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: secret))
        return "\(signingInput).\(Base64.encode(Array(mac), variant: .url))"
    }
}
