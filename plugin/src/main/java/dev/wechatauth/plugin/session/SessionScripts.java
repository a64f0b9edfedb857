package dev.wechatauth.plugin.session;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The Lua scripts of {@link RedisSessionStore}. Each touches one key, so each runs on one Cluster node, atomically;
 * only {@link #CREATE}, which the store runs where one primary holds every key, touches several.
 * Times passed in are the calling instance's clock in epoch milliseconds; times stored are epoch seconds (session
 * records) or milliseconds ({@code blocked_until}).
 */
final class SessionScripts {

    /** How {@link #INDEX} and {@link #CREATE} answer: the hashes of the sessions the login ended. */
    private static final String ENDED = "return 'ok ' .. table.concat(ended, ' ')";

    /**
     * Reads a session and renews it. KEYS[1] the session; ARGV: idle timeout ms, max lifetime ms, now ms, the renewal
     * interval ms. The session expires at the smaller of now + idle timeout and its {@code endsAt}; a record without
     * {@code endsAt} (written before it existed) gets now + max lifetime, so an upgrade ends no session early.
     * {@code lastUsedAt} is rewritten at most once per renewal interval. Returns the record, or nil when there is none
     * or its absolute end has passed; a record that is not JSON is returned untouched (the caller ignores it).
     */
    static final RedisScript<String> LOOKUP = RedisScript.of("""
            local v = redis.call('GET', KEYS[1])
            if not v then return false end
            local ok, s = pcall(cjson.decode, v)
            if not ok or type(s) ~= 'table' then return v end
            local now = tonumber(ARGV[3])
            local changed = false
            local endsAt = tonumber(s.endsAt) or 0
            if endsAt <= 0 then
              endsAt = math.floor(now / 1000) + math.floor(tonumber(ARGV[2]) / 1000)
              s.endsAt = endsAt
              changed = true
            end
            if endsAt * 1000 <= now then
              redis.call('DEL', KEYS[1])
              return false
            end
            local expireAt = math.min(now + tonumber(ARGV[1]), endsAt * 1000)
            local last = tonumber(s.lastUsedAt) or 0
            if now - last * 1000 >= tonumber(ARGV[4]) then
              s.lastUsedAt = math.floor(now / 1000)
              changed = true
            end
            if changed then
              v = cjson.encode(s)
              redis.call('SET', KEYS[1], v, 'PXAT', expireAt)
            else
              redis.call('PEXPIREAT', KEYS[1], expireAt)
            end
            return v""", String.class);

    /** A session and its time to live, without renewing it: {@code "<pttl ms> <record>"}, or nil. KEYS[1] the session. */
    static final RedisScript<String> VIEW = RedisScript.of("""
            local v = redis.call('GET', KEYS[1])
            if not v then return false end
            return redis.call('PTTL', KEYS[1]) .. ' ' .. v""", String.class);

    /**
     * Lists a new session in its user's index, unless the user is blocked, and ends the oldest ones past the limit.
     * KEYS[1] the user; ARGV: the login's session_key, the field {@code s:<hash>}, createdAt (s), the index TTL ms, the
     * limit (0: none), now ms. The field's value is {@code createdAt:order}, order counting the user's logins, so that
     * logins within one second keep their order (a value without it, from before, counts as order 0). Returns
     * {@code "blocked"}, or {@code "ok"} followed by the hashes of the sessions the login ended, space-separated.
     * The index's TTL is lengthened, never shortened (a block may need it longer).
     */
    static final RedisScript<String> INDEX = RedisScript.of(listing("") + ENDED, String.class);

    /**
     * A whole login's writes in one script, where one primary holds every key (standalone, Sentinel): {@link #INDEX}
     * and, unless the user is blocked, the session ({@code SET PX}) and the login's receipt ({@code SET KEEPTTL}, only
     * if that key still exists). KEYS[1] the user, KEYS[2] the session, KEYS[3] the receipt (optional); ARGV[1..6] as
     * {@link #INDEX}, then the session record, its time to live ms, the receipt's value. Answers as {@link #INDEX}.
     */
    static final RedisScript<String> CREATE = RedisScript.of(listing("""
            redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8])
            if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('SET', KEYS[3], ARGV[9], 'KEEPTTL') end
            """) + ENDED, String.class);

    /** The block check, the listing and the limit of {@link #INDEX}, with {@code writes} done once the user may log in. */
    private static String listing(String writes) {
        return """
            local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked_until'))
            if blocked and blocked > tonumber(ARGV[6]) then return 'blocked' end
            """ + writes + """
            local order = redis.call('HINCRBY', KEYS[1], 'logins', 1)
            redis.call('HSET', KEYS[1], 'session_key', ARGV[1], ARGV[2], ARGV[3] .. ':' .. order)
            local ended = {}
            local limit = tonumber(ARGV[5])
            if limit > 0 then
              local all = redis.call('HGETALL', KEYS[1])
              local others = {}
              for i = 1, #all, 2 do
                if string.sub(all[i], 1, 2) == 's:' and all[i] ~= ARGV[2] then
                  local created, n = string.match(all[i + 1], '^(%d+):?(%d*)$')
                  others[#others + 1] = {all[i], tonumber(created) or 0, tonumber(n) or 0}
                end
              end
              local excess = #others + 1 - limit
              if excess > 0 then
                table.sort(others, function(a, b)
                  if a[2] ~= b[2] then return a[2] < b[2] end
                  if a[3] ~= b[3] then return a[3] < b[3] end
                  return a[1] < b[1]
                end)
                for i = 1, excess do
                  redis.call('HDEL', KEYS[1], others[i][1])
                  ended[#ended + 1] = string.sub(others[i][1], 3)
                end
              end
            end
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
            """;
    }

    /**
     * Removes every session of a user from the index and, when ARGV[1] is not empty, blocks the user until ARGV[1]
     * (epoch ms), keeping the index at least ARGV[2] ms. KEYS[1] the user. Returns {@code "ok"} followed by the hashes
     * removed.
     */
    static final RedisScript<String> END_ALL = RedisScript.of("""
            local all = redis.call('HGETALL', KEYS[1])
            local ended = {}
            for i = 1, #all, 2 do
              if string.sub(all[i], 1, 2) == 's:' then
                redis.call('HDEL', KEYS[1], all[i])
                ended[#ended + 1] = string.sub(all[i], 3)
              end
            end
            if ARGV[1] ~= '' then
              redis.call('HSET', KEYS[1], 'blocked_until', ARGV[1])
              if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            end
            return 'ok ' .. table.concat(ended, ' ')""", String.class);

    /** Lifts a block: KEYS[1] the user, ARGV[1] now ms; returns 1 when a block was in force. */
    static final RedisScript<Long> UNBLOCK = RedisScript.of("""
            local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked_until'))
            redis.call('HDEL', KEYS[1], 'blocked_until')
            if blocked and blocked > tonumber(ARGV[1]) then return 1 end
            return 0""", Long.class);

    /** Lengthens a user's index to ARGV[1] ms, never shortens it (a block may need it longer). KEYS[1] the user. */
    static final RedisScript<Long> RENEW_INDEX = RedisScript.of("""
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
            return 0""", Long.class);

    private SessionScripts() {
    }
}
