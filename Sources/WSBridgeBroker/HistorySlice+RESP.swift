import NIOCore

extension HistorySlice {
    /// Reads the reply of `FCALL wsbridge_history`: an array of `count` arrays
    /// `[epoch, top, first, entry…]` (see ``RedisFunctionLibrary``).
    static func parse(_ reply: RESPValue, count: Int) throws(RedisBrokerError) -> [HistorySlice] {
        if case .error(let message) = reply {
            throw RedisBrokerError.historyRejected(message)
        }
        guard case .array(let streams?) = reply, streams.count == count else {
            throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
        }
        var slices: [HistorySlice] = []
        slices.reserveCapacity(count)
        for stream in streams {
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
