extension RedisFunctionLibrary {
    /// The presence part of the library's Lua source (keys and calls in ``RedisFunctionLibrary``'s
    /// documentation): per-host entries with a TTL, the sweep of dead hosts, online/offline events,
    /// the queries. Spliced into ``source`` after the durable-publishing functions, whose `CHANNEL`
    /// and `fail` it uses.
    var presenceSource: String {
        """
        -- Presence: see the keys above.
        local PRESENCE_CHANNEL = CHANNEL .. ':presence'
        -- Every presence key carries the hash tag {presence}: one cluster slot holds them all, and a
        -- call names HOSTS as its key.
        local HOSTS = 'wsb:{presence}:hosts'
        local function alive_key(node) return 'wsb:{presence}:' .. node .. ':alive' end
        local function listens_key(node) return 'wsb:{presence}:' .. node .. ':listens' end
        local function users_key(node) return 'wsb:{presence}:' .. node .. ':u' end

        -- The nodes whose entry is alive, `except` left out.
        local function live_hosts(except)
          local hosts = {}
          for _, host in ipairs(redis.call('SMEMBERS', HOSTS)) do
            if host ~= except and redis.call('EXISTS', alive_key(host)) == 1 then hosts[#hosts + 1] = host end
          end
          return hosts
        end

        local function held_by_any(user, hosts)
          for _, host in ipairs(hosts) do
            if redis.call('HEXISTS', users_key(host), user) == 1 then return true end
          end
          return false
        end

        -- Whether a live host has apps that want events: if none, none are published.
        local listening = nil
        local function anyone_listens()
          if listening == nil then
            listening = false
            for _, host in ipairs(redis.call('SMEMBERS', HOSTS)) do
              if redis.call('EXISTS', listens_key(host)) == 1 then
                listening = true
                break
              end
            end
          end
          return listening
        end

        -- Events published by this call: two dead hosts of one user swept together say offline once.
        local announced = {}
        local function presence_event(kind, user)
          if not anyone_listens() or announced[kind .. ' ' .. user] then return end
          announced[kind .. ' ' .. user] = true
          redis.call('PUBLISH', PRESENCE_CHANNEL, '{"type":"' .. kind .. '","user":' .. cjson.encode(user) .. '}')
        end

        -- Drops a host (dead, or leaving): its users not held elsewhere go offline.
        local function remove_host(host)
          local gone = redis.call('HKEYS', users_key(host))
          redis.call('DEL', users_key(host), listens_key(host))
          redis.call('SREM', HOSTS, host)
          if #gone > 0 then
            local live = live_hosts(host)
            for _, user in ipairs(gone) do
              if not held_by_any(user, live) then presence_event('offline', user) end
            end
          end
        end

        local function presence_update(keys, args)
          local node, ttl, replace, listens = args[1], tonumber(args[2]), args[3], args[4]
          if node == nil or node == '' or ttl == nil or ttl < 1 or (replace ~= '0' and replace ~= '1')
            or (listens ~= '0' and listens ~= '1') or (#args - 4) % 2 ~= 0 then
            return fail('usage', 'FCALL wsbridge_presence_update 1 wsb:{presence}:hosts NODE TTL_MS REPLACE LISTENS [USER SESSIONS ...]')
          end
          -- Every count checked before anything changes: a bad call changes nothing.
          for index = 6, #args, 2 do
            if tonumber(args[index]) == nil then return fail('usage', 'SESSIONS must be a number, got ' .. args[index]) end
          end
          listening = nil
          announced = {}
          if listens == '1' then
            redis.call('SET', listens_key(node), '1', 'PX', ttl)
            listening = true
          else
            redis.call('DEL', listens_key(node))
          end
          local alive, users = alive_key(node), users_key(node)
          local was_alive = redis.call('EXISTS', alive)
          local arrived, left, before = {}, {}, {}
          if replace == '1' then
            for _, user in ipairs(redis.call('HKEYS', users)) do before[user] = true end
            redis.call('DEL', users)
          end
          for index = 5, #args, 2 do
            local user, sessions = args[index], tonumber(args[index + 1])
            if sessions > 0 then
              local new = redis.call('HSET', users, user, sessions) == 1
              if replace == '1' then
                new = not before[user]
                before[user] = nil
              end
              if new then arrived[#arrived + 1] = user end
            elseif redis.call('HDEL', users, user) == 1 then
              left[#left + 1] = user
            end
          end
          for user in pairs(before) do left[#left + 1] = user end
          if #arrived > 0 or #left > 0 then
            local others = live_hosts(node)
            for _, user in ipairs(arrived) do
              if not held_by_any(user, others) then presence_event('online', user) end
            end
            for _, user in ipairs(left) do
              if not held_by_any(user, others) then presence_event('offline', user) end
            end
          end
          redis.call('SET', alive, '1', 'PX', ttl)
          redis.call('PEXPIRE', users, 3 * ttl)
          redis.call('SADD', HOSTS, node)
          -- Hosts that stopped renewing: their users leave with them.
          for _, host in ipairs(redis.call('SMEMBERS', HOSTS)) do
            if host ~= node and redis.call('EXISTS', alive_key(host)) == 0 then remove_host(host) end
          end
          return was_alive
        end

        local function presence_leave(keys, args)
          if #args ~= 1 or args[1] == '' then return fail('usage', 'FCALL wsbridge_presence_leave 1 wsb:{presence}:hosts NODE') end
          listening = nil
          announced = {}
          redis.call('DEL', alive_key(args[1]))
          remove_host(args[1])
          return 1
        end

        local function presence(keys, args)
          if #args == 0 then return fail('usage', 'FCALL_RO wsbridge_presence 1 wsb:{presence}:hosts USER [USER ...]') end
          local hosts = live_hosts(nil)
          local replies = {}
          for index, user in ipairs(args) do
            local held = {}
            for _, host in ipairs(hosts) do
              local sessions = redis.call('HGET', users_key(host), user)
              if sessions then
                held[#held + 1] = host
                held[#held + 1] = tonumber(sessions)
              end
            end
            replies[index] = held
          end
          return replies
        end

        redis.register_function('\(Self.presenceUpdateFunction)', presence_update)
        redis.register_function('\(Self.presenceLeaveFunction)', presence_leave)
        redis.register_function{
          function_name = '\(Self.presenceFunction)',
          callback = presence,
          flags = {'no-writes'}
        }
        redis.register_function{
          function_name = '\(Self.presenceHostsFunction)',
          callback = function() return live_hosts(nil) end,
          flags = {'no-writes'}
        }

        """
    }
}
