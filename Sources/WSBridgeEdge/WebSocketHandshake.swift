import Crypto
import NIOCore
import NIOHTTP1
import WSBridgeJSON

/// Validates an RFC 6455 opening handshake and builds the 101 response.
enum WebSocketHandshake {
    private static let magicGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    enum Failure: Error, Equatable {
        case notAnUpgrade
        case unsupportedVersion
        case badKey
    }

    /// Whether the headers ask for a WebSocket upgrade (RFC 6455 §4.2.1).
    static func isUpgradeRequest(_ headers: HTTPHeaders) -> Bool {
        let upgrade = headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
        let connection = headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        return upgrade && connection
    }

    /// Checks the WebSocket headers and returns the `Sec-WebSocket-Accept` value.
    static func acceptValue(for headers: HTTPHeaders) -> Result<String, Failure> {
        guard self.isUpgradeRequest(headers) else { return .failure(.notAnUpgrade) }
        guard headers["sec-websocket-version"].first?.trimmingWhitespace() == "13" else {
            return .failure(.unsupportedVersion)
        }
        let keys = headers["sec-websocket-key"]
        // 16 bytes are 24 characters with their padding.
        guard keys.count == 1, let key = keys.first?.trimmingWhitespace(), key.utf8.count == 24,
            Base64.decode(key.utf8, variant: .standard)?.count == 16
        else {
            return .failure(.badKey)
        }
        return .success(self.accept(key: key))
    }

    static func accept(key: String) -> String {
        Insecure.SHA1.hash(data: Array((key + self.magicGUID).utf8)).withUnsafeBytes { Base64.encode($0) }
    }

    /// The raw bytes of the 101 response.
    static func switchingProtocolsResponse(
        accept: String, subprotocol: String? = nil, extensions: String? = nil, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 200)
        buffer.writeString(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
        )
        buffer.writeString(accept)
        if let subprotocol {
            buffer.writeString("\r\nSec-WebSocket-Protocol: ")
            buffer.writeString(subprotocol)
        }
        if let extensions {
            buffer.writeString("\r\nSec-WebSocket-Extensions: ")
            buffer.writeString(extensions)
        }
        buffer.writeString("\r\n\r\n")
        return buffer
    }
}
