import Crypto
import NIOCore
import NIOHTTP1
import WSBridgeCore
import WSBridgeJSON

/// Validates an RFC 6455 opening handshake and builds the 101 response.
enum WebSocketHandshake {
    private static let magicGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    enum Failure: Error, Equatable {
        case notAnUpgrade
        case unsupportedVersion
        case badKey
    }

    /// Checks the WebSocket headers (RFC 6455 §4.2.1) in one pass and returns the `Sec-WebSocket-Accept`
    /// value: an `Upgrade` field that lists `websocket` and a `Connection` field that lists `upgrade`
    /// (in any case), the first `Sec-WebSocket-Version` being 13, and exactly one key of 16 bytes.
    static func acceptValue(for headers: HTTPHeaders) -> Result<String, Failure> {
        var upgrade = false
        var connection = false
        var version: String?
        var key: String?
        var keys = 0
        for (name, value) in headers {
            if !upgrade, name.caseInsensitiveEquals("upgrade") {
                upgrade = HeaderTokens.lists(value, "websocket")
            } else if !connection, name.caseInsensitiveEquals("connection") {
                connection = HeaderTokens.lists(value, "upgrade")
            } else if version == nil, name.caseInsensitiveEquals("sec-websocket-version") {
                version = value
            } else if name.caseInsensitiveEquals("sec-websocket-key") {
                keys += 1
                key = value
            }
        }
        guard upgrade && connection else { return .failure(.notAnUpgrade) }
        guard let version, HeaderTokens.trimmed(version.utf8).elementsEqual("13".utf8) else {
            return .failure(.unsupportedVersion)
        }
        // 16 bytes are 24 characters with their padding.
        guard keys == 1, let key, case let trimmed = HeaderTokens.trimmed(key.utf8), trimmed.count == 24,
            Base64.decode(trimmed, variant: .standard)?.count == 16
        else {
            return .failure(.badKey)
        }
        return .success(self.accept(key: trimmed))
    }

    private static let magicGUIDBytes = Array(magicGUID.utf8)

    /// SHA-1 of the key and the GUID, in base64 (RFC 6455 §4.2.2).
    static func accept<Key: Collection>(key: Key) -> String where Key.Element == UInt8 {
        var sha1 = Insecure.SHA1()
        if key.withContiguousStorageIfAvailable({ sha1.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            sha1.update(data: Array(key))
        }
        sha1.update(data: Self.magicGUIDBytes)
        return sha1.finalize().withUnsafeBytes { Base64.encode($0) }
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
