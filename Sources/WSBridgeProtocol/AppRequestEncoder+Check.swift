import NIOCore
import WSBridgeJSON

// What the encoder cannot make right by escaping, checked before a request is sent.

extension AppRequestEncoder {
    /// Checks that `request` encodes into the frame its caller means, so that it is never sent
    /// altered or as a frame the daemon cannot read (whose `error` could not echo the request's id):
    ///
    /// - ``AppData/json(_:)`` must hold exactly one JSON value (RFC 8259, strict, whitespace around it
    ///   allowed, nesting within ``AppProtocol/maxDepth`` counting the request object), since the
    ///   encoder writes it unchanged: an invalid or partial value, or text such as `1,"all":true`,
    ///   would otherwise break or rewrite the request. Refused with ``AppProtocolError/Code/invalidJSON``
    ///   (``AppProtocolError/Code/invalidUTF8`` for bytes that are not UTF-8).
    /// - ``AppData/text(_:)`` must be valid UTF-8, which the encoder would otherwise replace with
    ///   U+FFFD. Refused with ``AppProtocolError/Code/invalidUTF8``.
    ///
    /// Everything else (ranges, lengths, empty lists) is left to the daemon, whose answer names the
    /// rule; the frame is valid JSON whatever the strings hold.
    ///
    /// - Throws: ``AppProtocolError`` with the request's id.
    public static func check(_ request: AppRequest) throws(AppProtocolError) {
        switch request {
        case .publish(let id, _, let data, _), .send(let id, _, let data):
            try check(data, id: id)
        default:
            return
        }
    }

    private static func check(_ data: AppData, id: RequestID?) throws(AppProtocolError) {
        switch data {
        case .binary:
            return
        case .text(let text):
            guard UTF8Validation.isValid(text.readableBytesView) else {
                throw AppProtocolError(code: .invalidUTF8, message: "\"data\" text is not valid UTF-8", id: id)
            }
        case .json(let json):
            try checkJSONValue(json, id: id)
        }
    }

    /// `json` is exactly one JSON value: read as the only element of an array, which stands at the
    /// depth of the request object, as `data` does in the request.
    private static func checkJSONValue(_ json: ByteBuffer, id: RequestID?) throws(AppProtocolError) {
        var wrapped = ByteBufferAllocator().buffer(capacity: json.readableBytes + 2)
        wrapped.writeStaticString("[")
        wrapped.writeImmutableBuffer(json)
        wrapped.writeStaticString("]")
        let outcome = wrapped.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONScanError) in
                try JSONScanner.scanArray(bytes, 0..<bytes.count, maxDepth: AppProtocol.maxDepth).count
            }
        }
        switch outcome {
        case .success(1):
            return
        case .success(let count):
            throw AppProtocolError(
                code: .invalidJSON,
                message: "\"data\" must be exactly one JSON value, not \(count)",
                id: id
            )
        case .failure(let error):
            guard UTF8Validation.isValid(json.readableBytesView) else {
                throw AppProtocolError(code: .invalidUTF8, message: "\"data\" is not valid UTF-8", id: id)
            }
            throw AppProtocolError(code: .invalidJSON, message: "\"data\" is not one JSON value: \(error.reason)", id: id)
        }
    }
}
