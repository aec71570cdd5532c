import CHiredis
import NIOCore

/// Decodes the RESP2 byte stream from Redis into ``RESPValue``s, using hiredis' `redisReader` as the parser.
///
/// ```
///  socket bytes ──▶ ByteToMessageHandler ──▶ decode(buffer) ──redisReaderFeed──▶ redisReader (copies)
///                                                   │
///                         ◀── RESPValue (Swift) ◀── redisReaderGetReply ── redisReply* (freed at once)
/// ```
///
/// SwiftNIO owns the socket; hiredis only parses. Every byte handed to `decode` is fed to the reader (which
/// copies it) and consumed from the buffer, then every complete reply is converted into a ``RESPValue`` —
/// bulk strings into `ByteBuffer`s from the channel's allocator — and the C reply is freed before the next
/// one is read. No hiredis pointer leaves this type.
///
/// - The reader is created lazily and freed in ``decoderRemoved(context:)`` or, failing that, in `deinit`;
///   freeing sets it to `nil`, so it is never freed twice.
/// - A protocol error reported by the reader (`reader->err`, `reader->errstr`) is thrown as a
///   ``RedisProtocolError``; the `ByteToMessageHandler` then refuses further input.
/// - `maxbuf`: hiredis 0.14 keeps the default of 16 KiB. It is not a size limit: it only makes the reader
///   release an *empty* internal buffer whose spare capacity grew beyond 16 KiB (after a large reply), so a
///   burst of big messages does not pin memory. Replies of any size are still decoded (see the tests).
/// - Nulls: hiredis 0.14 reports `$-1` and `*-1` both as `REDIS_REPLY_NIL`. The decoder wraps hiredis'
///   `createNil` callback to tag the array form, so `*-1` decodes as `.array(nil)` and `$-1` as
///   `.bulkString(nil)`.
/// - Nesting: hiredis 0.14 refuses arrays nested deeper than 7 levels (a protocol error); Redis pub/sub
///   never sends more than one level.
public final class RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    private var reader: UnsafeMutablePointer<redisReader>?
    private var functions: UnsafeMutablePointer<redisReplyObjectFunctions>?

    public init() {}

    deinit {
        self.freeReader()
    }

    public func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try self.feed(&buffer)
        while let value = try self.nextValue(allocator: context.channel.allocator) {
            context.fireChannelRead(self.wrapInboundOut(value))
        }
        return .needMoreData
    }

    public func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        // Everything complete is still delivered at EOF; an incomplete trailing reply cannot be.
        try self.decode(context: context, buffer: &buffer)
    }

    public func decoderRemoved(context: ChannelHandlerContext) {
        self.freeReader()
    }

    // MARK: - The hiredis boundary

    /// Copies all readable bytes into the reader and consumes them from `buffer`.
    private func feed(_ buffer: inout ByteBuffer) throws {
        guard buffer.readableBytes > 0 else { return }
        let reader = try self.readerCreatingIfNeeded()
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        if status != REDIS_OK {
            throw Self.readerError(reader)
        }
    }

    /// The next complete reply as a Swift value, or `nil` when the reader needs more bytes.
    private func nextValue(allocator: ByteBufferAllocator) throws -> RESPValue? {
        guard let reader = self.reader else { return nil }
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            throw Self.readerError(reader)
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return try Self.value(of: raw.assumingMemoryBound(to: redisReply.self), allocator: allocator)
    }

    /// Converts one hiredis reply (recursively) into a ``RESPValue`` that owns its bytes.
    private static func value(
        of reply: UnsafePointer<redisReply>,
        allocator: ByteBufferAllocator
    ) throws -> RESPValue {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .bulkString(allocator.buffer(bytes: Self.bytes(of: reply)))
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: Self.bytes(of: reply), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: Self.bytes(of: reply), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_NIL:
            return reply.integer == respNullArrayTag ? .array(nil) : .bulkString(nil)
        case REDIS_REPLY_ARRAY:
            var values: [RESPValue] = []
            values.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                guard let element = reply.element?[index] else {
                    throw RedisProtocolError(reason: "array element \(index) missing in reader output")
                }
                values.append(try Self.value(of: element, allocator: allocator))
            }
            return .array(values)
        default:
            throw RedisProtocolError(reason: "unknown reply type \(reply.type) from the RESP reader")
        }
    }

    private static func bytes(of reply: redisReply) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: reply.str, count: reply.str == nil ? 0 : reply.len)
    }

    private static func readerError(_ reader: UnsafeMutablePointer<redisReader>) -> RedisProtocolError {
        guard reader.pointee.err != 0 else {
            return RedisProtocolError(reason: "RESP reader failed without a reason")
        }
        let reason = withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return reader.pointee.err == REDIS_ERR_OOM ? .outOfMemory : RedisProtocolError(reason: reason)
    }

    private func readerCreatingIfNeeded() throws -> UnsafeMutablePointer<redisReader> {
        if let reader = self.reader {
            return reader
        }
        guard let reader = redisReaderCreate() else {
            throw RedisProtocolError.outOfMemory
        }
        // Our copy of hiredis' reply functions, with `createNil` wrapped to tag null arrays. hiredis' own
        // table is static storage in the library; the reader hands it to the wrapper through `privdata`.
        let functions = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        functions.initialize(to: reader.pointee.fn.pointee)
        functions.pointee.createNil = { task in respCreateNil(task) }
        reader.pointee.privdata = UnsafeMutableRawPointer(reader.pointee.fn)
        reader.pointee.fn = functions
        self.reader = reader
        self.functions = functions
        return reader
    }

    private func freeReader() {
        // The reader first: freeing it may free a half-built reply through `functions`.
        if let reader = self.reader {
            self.reader = nil
            redisReaderFree(reader)
        }
        if let functions = self.functions {
            self.functions = nil
            functions.deinitialize(count: 1)
            functions.deallocate()
        }
    }
}

/// The value ``RESPDecoder`` stores in the (otherwise unused) `integer` field of a `REDIS_REPLY_NIL` reply
/// that hiredis created for `*-1`.
private let respNullArrayTag: Int64 = 1

/// hiredis `createNil` wrapper: builds the nil reply with hiredis' own function (found in the task's
/// `privdata`), and tags it when it stands for a null array. A C callback: it captures nothing.
private func respCreateNil(_ task: UnsafePointer<redisReadTask>?) -> UnsafeMutableRawPointer? {
    guard
        let task,
        let original = task.pointee.privdata?.assumingMemoryBound(to: redisReplyObjectFunctions.self),
        let createNil = original.pointee.createNil,
        let object = createNil(task)
    else {
        return nil
    }
    if task.pointee.type == REDIS_REPLY_ARRAY {
        object.assumingMemoryBound(to: redisReply.self).pointee.integer = respNullArrayTag
    }
    return object
}

@available(*, unavailable)
extension RESPDecoder: Sendable {}
