import NIOCore

/// Splits the app-socket byte stream into frames: each frame's JSON bytes, without the length prefix.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          length N (32-bit unsigned, big-endian)               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  N bytes: one UTF-8 JSON object with a string member "type"   |
/// |  ...                                                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// 1 <= N <= maxFrameBytes
/// ```
///
/// The decoder only frames; the JSON inside is read by ``AppRequestParser`` (by ``AppEventParser`` on
/// the app side, where `maxFrameBytes` bounds the events accepted). It copies nothing
/// itself: each frame is a slice of the bytes `ByteToMessageHandler` has buffered.
///
/// A length of 0, or over `maxFrameBytes`, throws ``AppProtocolError`` with code
/// ``AppProtocolError/Code/frameTooLarge`` before any byte of the frame body is read: the length
/// prefix cannot be trusted, so nothing after it can be either. `ByteToMessageHandler` then refuses all
/// further input; the handler above it sends the `error` frame and closes the connection.
///
/// The length prefix is only peeked at until the whole frame is there, so the decoder keeps no state
/// of its own, and a frame cut short by EOF is still whole in the buffer (prefix included) when
/// ``decodeLast(context:buffer:seenEOF:)`` reports it as `ByteToMessageDecoderError.leftoverDataWhenDone`:
/// nothing can be answered to it, but the daemon can log how much was lost.
public struct AppFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The size of the length prefix, in bytes.
    public static let lengthFieldBytes = 4

    /// The largest frame body accepted (config key `max_frame_bytes`). Bounds the memory one app can
    /// make the daemon hold for a frame it has not finished sending.
    public let maxFrameBytes: Int

    /// - Parameter maxFrameBytes: the largest frame body accepted, in bytes; at least 1.
    public init(maxFrameBytes: Int = AppProtocol.defaultMaxFrameBytes) {
        self.maxFrameBytes = max(maxFrameBytes, 1)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        guard length > 0, UInt64(length) <= UInt64(maxFrameBytes) else {
            throw AppProtocolError(
                code: .frameTooLarge,
                message: length == 0
                    ? "frame length 0: a frame holds one JSON object"
                    : "frame length \(length) is over the limit of \(maxFrameBytes) bytes"
            )
        }
        let total = Self.lengthFieldBytes + Int(length)
        guard buffer.readableBytes >= total,
            let frame = buffer.getSlice(at: buffer.readerIndex + Self.lengthFieldBytes, length: Int(length))
        else {
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: total)
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Delivers the whole frames still buffered, then throws
    /// `ByteToMessageDecoderError.leftoverDataWhenDone` with the bytes of a frame cut short (its
    /// length prefix included) so the handler above can log what was lost.
    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let leftover = buffer
            buffer.moveReaderIndex(to: buffer.writerIndex)
            throw ByteToMessageDecoderError.leftoverDataWhenDone(leftover)
        }
        return .needMoreData
    }
}
