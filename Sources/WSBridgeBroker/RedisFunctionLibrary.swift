/// The Redis function library `wsbridge` that makes publishing durable: the daemon loads it on every
/// publisher link (``RedisHandshake``), producers call it with `FCALL`.
///
/// ```
///  FCALL wsbridge_publish 0 ENVELOPE
///      → "EPOCH-OFFSET" (one per stream, comma-separated for a `users` target, in the order of the
///        deduplicated list); the message is appended to each stream's history and published on the
///        channel as  {"wsb":"EPOCH-OFFSET[,…]",<the envelope's members>}
///  FCALL wsbridge_publish 1 wsb:{STREAM}:m ENVELOPE                (the cluster form)
///      → the same, for an envelope whose one stream is STREAM (checked before anything is written);
///        on a Redis Cluster the call goes to the master of that key's slot, and `users` is published
///        one user at a time
///  FCALL wsbridge_history 0 STREAM SINCE [STREAM SINCE …]       (STREAM: u:<user> or all)
///  FCALL wsbridge_history 1 wsb:{STREAM}:m STREAM SINCE          (the cluster form: one stream)
///      → per stream [epoch, top, first, entry…]: the stream's epoch and last offset, then the
///        retained entries from offset `first` on (SINCE "" asks for the position only: none);
///        or 0 when SINCE is the stream's position (nothing after it)
///  FCALL wsbridge_presence_update 1 wsb:{presence}:hosts NODE TTL_MS REPLACE LISTENS [USER SESSIONS …]
///      → 1 if NODE's entry was alive before the call, else 0; sets the sessions of each USER on NODE
///        (0 removes it; REPLACE "1" first drops all NODE had), renews NODE for TTL_MS, sweeps hosts
///        that expired, and, while some live host LISTENS ("1": it has apps that asked for events),
///        publishes {"type":"online"|"offline","user":…} on CHANNEL:presence for each user whose
///        first session anywhere arrived or whose last one anywhere left
///  FCALL_RO wsbridge_presence 1 wsb:{presence}:hosts USER [USER …]
///      → per user [node, sessions, node, sessions, …] over the live hosts that hold it
///  FCALL wsbridge_presence_leave 1 wsb:{presence}:hosts NODE
///      → 1; NODE's entry is removed at once (a host that stops), with offline events as for a sweep
///  FCALL_RO wsbridge_presence_hosts 1 wsb:{presence}:hosts
///      → the live hosts (whose entry has not expired)
///  FCALL_RO wsbridge_version 0
///      → "1.4 size=100 ttl_ms=300000 meta_ttl_ms=3600000 compat= channel=websocket:sendMsgTopic"
/// ```
///
/// Keys, per stream (`u:<user>` or `all`; the hash tag keeps a stream's two keys in one cluster slot):
///
/// ```
///  wsb:{STREAM}:m   hash {e: epoch, o: last offset}       expires history_meta_ttl after the last use
///  wsb:{STREAM}:h   list of the last `size` envelopes     expires history_ttl after the last publish
/// ```
///
/// Presence, per host (`NODE` is the host's `node_id`); the hash tag puts every presence key in one
/// cluster slot, and the presence calls name `wsb:{presence}:hosts` as their key:
///
/// ```
///  wsb:{presence}:hosts          set of the nodes that wrote presence (swept when their entry expired)
///  wsb:{presence}:NODE:alive     "1", expires TTL_MS after the node's last write (its heartbeat)
///  wsb:{presence}:NODE:listens   "1" while the node has apps that want online/offline events (same TTL)
///  wsb:{presence}:NODE:u         hash {user: sessions}; outlives :alive (3 × TTL) so a sweep can
///                                tell which users left with a dead host
/// ```
///
/// An epoch is made from Redis' clock (`TIME`, hex seconds and microseconds) when a stream's meta key is
/// created: after a restart without persistence, or once the meta key expired, offsets start again at 1
/// under a new epoch, so a position from before can never be mistaken for one after.
///
/// The settings are written into the code: a library is "current" when its version reply equals
/// ``versionReply``. The version (``version``) only grows; an older daemon leaves a newer library alone.
public struct RedisFunctionLibrary: Sendable, Equatable {
    /// The library's code version. Version 1 is the first.
    public static let version = 1
    /// Changes of the code that keep the interface of ``version``: a Redis holding an older revision
    /// gets this one at the next link.
    public static let revision = 6
    public static let name = "wsbridge"
    public static let publishFunction = "wsbridge_publish"
    public static let historyFunction = "wsbridge_history"
    public static let versionFunction = "wsbridge_version"
    public static let presenceUpdateFunction = "wsbridge_presence_update"
    public static let presenceFunction = "wsbridge_presence"
    public static let presenceHostsFunction = "wsbridge_presence_hosts"
    public static let presenceLeaveFunction = "wsbridge_presence_leave"

    /// The key a presence call names (every presence key is in its cluster slot).
    public static let presenceKey = "wsb:{presence}:hosts"

    /// The key a call about `stream` (`u:<user>` or `all`) names on a cluster: the stream's meta key,
    /// whose slot holds both of the stream's keys.
    public static func streamKey(_ stream: String) -> String { "wsb:{" + stream + "}:m" }

    /// The channel online and offline events are published on: `<channel>:presence`.
    public static func presenceChannel(of channel: String) -> String { channel + ":presence" }

    /// The pub/sub channel the library publishes on.
    public var channel: String
    /// Messages kept per stream (`history_size`).
    public var historySize: Int
    /// How long a stream's history lives after its last publish (`history_ttl`), in milliseconds.
    public var historyTTLMilliseconds: Int64
    /// How long a stream's epoch and last offset live after their last use (`history_meta_ttl`).
    public var metaTTLMilliseconds: Int64
    /// The seed-compatibility user field (`compat_user_field`), if any.
    public var compatUserField: String?
    /// With per-user routing, a durable message for users goes out on each user's sharded channel
    /// (``userChannel(_:of:)``, `SPUBLISH`) instead of the channel.
    public var perUserRouting: Bool

    public init(
        channel: String, historySize: Int, historyTTLMilliseconds: Int64, metaTTLMilliseconds: Int64,
        compatUserField: String? = nil, perUserRouting: Bool = false
    ) {
        self.channel = channel
        self.historySize = historySize
        self.historyTTLMilliseconds = historyTTLMilliseconds
        self.metaTTLMilliseconds = metaTTLMilliseconds
        self.compatUserField = compatUserField
        self.perUserRouting = perUserRouting
    }

    /// The sharded channel of `user`'s messages with per-user routing: `<channel>:{u:<user>}`. Its hash
    /// tag is the user's stream, so on a cluster it is in the slot of the stream's keys.
    public static func userChannel(_ user: String, of channel: String) -> String {
        channel + ":{u:" + user + "}"
    }

    /// What `FCALL_RO wsbridge_version 0` answers with this library loaded: the version, then the
    /// settings written into it.
    public var versionReply: String {
        "\(Self.version).\(Self.revision) size=\(self.historySize) ttl_ms=\(self.historyTTLMilliseconds) "
            + "meta_ttl_ms=\(self.metaTTLMilliseconds) compat=\(self.compatUserField ?? "") "
            + "routing=\(self.perUserRouting ? "per-user" : "channel") channel=\(self.channel)"
    }

    /// The version and revision at the start of a version reply (`1.2 size=…`; a bare `1` is revision
    /// 0), if it has them.
    public static func version(ofReply reply: String) -> (version: Int, revision: Int)? {
        guard let word = reply.split(separator: " ", maxSplits: 1).first else { return nil }
        let parts = word.split(separator: ".", maxSplits: 1)
        guard let version = Int(parts[0]) else { return nil }
        return (version, parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
    }

    /// Whether a library whose version reply is `held` is newer than this code.
    public static func isNewer(_ held: String) -> Bool {
        guard let (version, revision) = Self.version(ofReply: held) else { return false }
        return (version, revision) > (Self.version, Self.revision)
    }

    /// The Lua source for `FUNCTION LOAD`.
    public var source: String {
        """
        #!lua name=\(Self.name)
        -- wsbridge durable publishing, library version \(Self.version). Generated and loaded by wsbridge
        -- (FUNCTION LOAD REPLACE on every publisher link): do not edit, the daemon replaces it.
        local VERSION_REPLY = \(Self.luaString(self.versionReply))
        local CHANNEL = \(Self.luaString(self.channel))
        local COMPAT = \(self.compatUserField.map(Self.luaString) ?? "nil")
        local PER_USER = \(self.perUserRouting ? "true" : "false")
        local SIZE = \(self.historySize)
        local TTL = \(self.historyTTLMilliseconds)
        local META_TTL = \(self.metaTTLMilliseconds)
        local MAX_USERS = 10000
        local MAX_ID_BYTES = 256
        local MAX_INTEGER = 9007199254740992

        local function fail(code, message)
          return redis.error_reply('WSBRIDGE ' .. code .. ': ' .. message)
        end

        -- A user id as the daemon reads it: a non-empty string, or an integer as its decimal text.
        local function user_id(value, name)
          local kind = type(value)
          if kind == 'string' then
            if #value == 0 then return nil, name .. ' must not be empty' end
            if #value > MAX_ID_BYTES then return nil, name .. ' is longer than 256 bytes' end
            return value
          elseif kind == 'number' then
            if value ~= math.floor(value) or value >= MAX_INTEGER or value <= -MAX_INTEGER then
              return nil, name .. ' must be a string, or an integer of at most 2^53'
            end
            return string.format('%d', value)
          end
          return nil, name .. ' must be a string or an integer'
        end

        local function meta_key(stream) return 'wsb:{' .. stream .. '}:m' end
        local function list_key(stream) return 'wsb:{' .. stream .. '}:h' end

        -- The stream's epoch; a stream without one gets a new epoch, an empty history and offset 0.
        local function epoch(meta, list)
          local current = redis.call('HGET', meta, 'e')
          if current then return current end
          local now = redis.call('TIME')
          current = string.format('%x%05x', tonumber(now[1]), tonumber(now[2]))
          redis.call('DEL', list)
          redis.call('HSET', meta, 'e', current, 'o', 0)
          return current
        end

        local function append(stream, envelope)
          local meta, list = meta_key(stream), list_key(stream)
          local e = epoch(meta, list)
          local offset = redis.call('HINCRBY', meta, 'o', 1)
          local length = redis.call('RPUSH', list, envelope)
          if length > SIZE then redis.call('LTRIM', list, -SIZE, -1) end
          redis.call('PEXPIRE', list, TTL)
          redis.call('PEXPIRE', meta, META_TTL)
          return e .. '-' .. string.format('%d', offset)
        end

        -- The streams of an envelope, or nil and an error reply.
        local function streams_of(message)
          local targets = 0
          if message.user ~= nil then targets = targets + 1 end
          if message.users ~= nil then targets = targets + 1 end
          if message.all ~= nil then targets = targets + 1 end
          if targets > 1 then return nil, fail('conflicting_targets', 'more than one of "user", "users", "all"') end
          if message.user ~= nil then
            local id, problem = user_id(message.user, '"user"')
            if not id then return nil, fail('bad_target', problem) end
            return {'u:' .. id}
          elseif message.users ~= nil then
            local users = message.users
            if type(users) ~= 'table' or #users == 0 then
              return nil, fail('bad_target', '"users" must be a non-empty array')
            end
            if #users > MAX_USERS then
              return nil, fail('too_large', '"users" has ' .. #users .. ' entries, more than the limit of 10000')
            end
            local streams, seen = {}, {}
            for position, value in ipairs(users) do
              local id, problem = user_id(value, '"users[' .. (position - 1) .. ']"')
              if not id then return nil, fail('bad_target', problem) end
              if not seen[id] then
                seen[id] = true
                streams[#streams + 1] = 'u:' .. id
              end
            end
            return streams
          elseif message.all ~= nil then
            if message.all ~= true then return nil, fail('bad_target', '"all" must be true') end
            return {'all'}
          elseif COMPAT ~= nil and message[COMPAT] ~= nil then
            local id, problem = user_id(message[COMPAT], '"' .. COMPAT .. '"')
            if not id then return nil, fail('bad_target', problem) end
            return {'u:' .. id}, nil, true
          end
          return nil, fail('no_target', 'none of "user", "users", "all"' .. (COMPAT and (', "' .. COMPAT .. '"') or ''))
        end

        local function check_data(message)
          if message.data == nil then return fail('missing_data', 'the message has no "data"') end
          if message.binary ~= nil and type(message.binary) ~= 'boolean' then
            return fail('bad_data', '"binary" must be true or false')
          end
          if message.binary == true then
            if type(message.data) ~= 'string' or string.find(message.data, '[^A-Za-z0-9+/=]') then
              return fail('bad_data', 'binary "data" must be a base64 string')
            end
          end
          return nil
        end

        -- With a key (the cluster form), every stream must be the key's: checked before the first
        -- write, since a function that fails half-way is not rolled back.
        local function check_keys(keys, streams)
          if #keys == 0 then return nil end
          if #keys > 1 then return fail('usage', 'give one key, the meta key of the stream: wsb:{u:USER}:m or wsb:{all}:m') end
          for _, stream in ipairs(streams) do
            if meta_key(stream) ~= keys[1] then
              return fail('wrong_key', 'the key ' .. keys[1] .. ' is not the one of stream ' .. stream
                .. ' (' .. meta_key(stream) .. '); on a cluster, publish "users" one user at a time')
            end
          end
          return nil
        end

        local function publish(keys, args)
          local envelope = args[1]
          if envelope == nil or #args ~= 1 then
            return fail('usage', 'FCALL wsbridge_publish 0 ENVELOPE (or, on a cluster: 1 wsb:{STREAM}:m ENVELOPE)')
          end
          local members = string.match(envelope, '^[ \\t\\r\\n]*{(.*)$')
          local ok, message = pcall(cjson.decode, envelope)
          if not ok then return fail('invalid_json', 'the envelope is not valid JSON') end
          if members == nil or type(message) ~= 'table' then
            return fail('not_an_object', 'the envelope is JSON but not an object')
          end
          if message.wsb ~= nil then return fail('bad_field', '"wsb" is reserved for wsbridge') end
          local streams, problem, compat = streams_of(message)
          if not streams then return problem end
          local wrong = check_keys(keys, streams)
          if wrong then return wrong end
          if not compat then
            local bad = check_data(message)
            if bad then return bad end
          end
          local positions = {}
          for index, stream in ipairs(streams) do
            positions[index] = append(stream, envelope)
          end
          local joined = table.concat(positions, ',')
          local message = '{"wsb":"' .. joined .. '",' .. members
          if PER_USER and streams[1] ~= 'all' then
            -- Per-user routing: on each user's sharded channel (its hash tag is the stream's, so on a
            -- cluster it is in the slot of the key), where only the hosts that hold the user listen.
            for _, stream in ipairs(streams) do
              redis.call('SPUBLISH', CHANNEL .. ':{' .. stream .. '}', message)
            end
          else
            redis.call('PUBLISH', CHANNEL, message)
          end
          return joined
        end

        local function history(keys, args)
          if #args == 0 or #args % 2 ~= 0 then
            return fail('usage', 'FCALL wsbridge_history 0 STREAM SINCE [STREAM SINCE ...]')
          end
          local streams = {}
          for index = 1, #args, 2 do streams[#streams + 1] = args[index] end
          local wrong = check_keys(keys, streams)
          if wrong then return wrong end
          local replies = {}
          for index = 1, #args, 2 do
            local stream, since = args[index], args[index + 1]
            local meta, list = meta_key(stream), list_key(stream)
            local held = redis.call('HMGET', meta, 'e', 'o')
            local e, top = held[1], tonumber(held[2])
            if not e then
              e = epoch(meta, list)
              top = 0
            end
            local reply = {e, top, top + 1}
            if since == '' then
              -- A position read: it also keeps the position alive while nodes deliver the stream.
              redis.call('PEXPIRE', meta, META_TTL)
            else
              local since_epoch, since_offset = string.match(since, '^([0-9a-z]+)-([0-9]+)$')
              local after = tonumber(since_offset)
              if since_epoch == e and after == top then
                -- The usual case after a lost subscription: nothing missed.
                reply = 0
              elseif since_epoch ~= e or after < top then
                local length = redis.call('LLEN', list)
                local oldest = top - length + 1
                local first = oldest
                if since_epoch == e then first = math.max(oldest, after + 1) end
                if first <= top then
                  reply[3] = first
                  local entries = redis.call('LRANGE', list, first - oldest, -1)
                  for _, entry in ipairs(entries) do reply[#reply + 1] = entry end
                end
              end
            end
            replies[#replies + 1] = reply
          end
          return replies
        end

        \(self.presenceSource)
        redis.register_function('\(Self.publishFunction)', publish)
        redis.register_function('\(Self.historyFunction)', history)
        redis.register_function{
          function_name = '\(Self.versionFunction)',
          callback = function() return VERSION_REPLY end,
          flags = {'no-writes'}
        }

        """
    }

    /// `text` as a Lua string literal: every byte outside printable ASCII, and the quote and backslash,
    /// as a decimal escape, so any channel name survives.
    static func luaString(_ text: String) -> String {
        var literal = "'"
        for byte in text.utf8 {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "'"), byte != UInt8(ascii: "\\") {
                literal.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                literal += "\\" + String(byte)
            }
        }
        return literal + "'"
    }
}
