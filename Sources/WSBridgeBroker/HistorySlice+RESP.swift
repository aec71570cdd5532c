import NIOCore

extension HistorySlice {
    /// Reads the reply of `FCALL wsbridge_history` to `queries`: per query an array
    /// `[epoch, top, first, entry…]`, or `0` when its `since` is the stream's position (see
    /// ``RedisFunctionLibrary``).
    static func parse(_ reply: RESPValue, queries: [HistoryQuery]) throws(RedisBrokerError) -> [HistorySlice] {
        let count = queries.count
        if case .error(let message) = reply {
            throw RedisBrokerError.historyRejected(message)
        }
        guard case .array(let streams?) = reply, streams.count == count else {
            throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
        }
        var slices: [HistorySlice] = []
        slices.reserveCapacity(count)
        for (stream, query) in zip(streams, queries) {
            if case .integer(0) = stream {
                guard let since = query.since, let dash = since.lastIndex(of: "-"),
                    let offset = UInt64(since[since.index(after: dash)...])
                else {
                    throw RedisBrokerError.unexpectedReply("wsbridge_history: 0 for a stream asked without since")
                }
                slices.append(HistorySlice(epoch: String(since[..<dash]), top: offset, first: offset + 1, entries: []))
                continue
            }
            guard case .array(let items?) = stream, items.count >= 3,
                let epoch = items[0].text,
                case .integer(let top) = items[1], top >= 0,
                case .integer(let first) = items[2], first >= 1
            else {
                throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(stream))
            }
            var entries: [ByteBuffer] = []
            entries.reserveCapacity(items.count - 3)
            for item in items[3...] {
                guard case .bulkString(let entry?) = item else {
                    throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(stream))
                }
                entries.append(entry)
            }
            let expected = first <= top ? Int(top - first + 1) : 0
            guard entries.count == expected else {
                throw RedisBrokerError.unexpectedReply(
                    "wsbridge_history: \(entries.count) entries for offsets \(first)...\(top)")
            }
            slices.append(HistorySlice(epoch: epoch, top: UInt64(top), first: UInt64(first), entries: entries))
        }
        return slices
    }
}
