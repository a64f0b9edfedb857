package dev.wechatauth.plugin.session;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sessions in Redis. Every key lives under a namespace ({@code ns}, default {@code wechat-auth}) and has a TTL.
 * <pre>
 * {ns}:session:{h}            string  JSON {openid, unionid, appid, sessionKey, createdAt}
 *                                     h = base64url(SHA-256(token)); the token itself is never stored
 *                                     create: SET key json PX ttl (then WAIT on Sentinel and Cluster:
 *                                             see ReplicatedSessionWriter)
 *                                     lookup: GETEX key PX ttl   (one round trip: read and renew)
 *                                     renew:  PEXPIRE key ttl    (a session known from memory: no read)
 *                                     logout: GETDEL key, then HDEL of the user index field
 * {ns}:user:{appid}:{openid}  hash    session_key -> the user's newest session_key (each login overwrites it)
 *                                     s:{h}       -> createdAt of each session of the user
 *                                     create: EVAL of HSET + PEXPIRE (one key, so Cluster-safe)
 *                                     decrypt: HGET key session_key (newestSessionKey)
 *                                     TTL = ttl + 2 index intervals (a tenth of the TTL, at most an hour);
 *                                     EXPIRE again at most once per index interval per user and instance, so
 *                                     it outlives every session it lists
 * </pre>
 * Keys of one user share no hash slot with their sessions; no command here spans two keys.
 * <p>
 * The other keys under the namespace belong to other features: {@code {ns}:login-limit:{address}}
 * ({@code LoginRateLimiter}), {@code {ns}:login-code:{id}} ({@code DuplicateLoginWindow}), the channel
 * {@code {ns}:invalidations} ({@link SessionInvalidations}), and each mini-program's access_token
 * {@code {ns}:access-token:{appid}} with its refresh lock {@code {ns}:access-token-lock:{appid}}
 * ({@code AccessTokens}, whose Javadoc gives their schema).
 */
public class RedisSessionStore implements SessionStore {

    private static final Log log = LogFactory.getLog(RedisSessionStore.class);
    private static final String SESSION_FIELD_PREFIX = "s:";
    private static final String SESSION_KEY_FIELD = "session_key";
    private static final RedisScript<Long> INDEX_SESSION = RedisScript.of("""
            redis.call('HSET', KEYS[1], 'session_key', ARGV[1], ARGV[2], ARGV[3])
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            return 1""", Long.class);

    private final ReactiveStringRedisTemplate redis;
    private final Tokens tokens;
    private final SessionWriter writer;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Clock clock;
    private final Duration ttl;
    private final Duration userIndexTtl;
    private final String sessionPrefix;
    private final String userPrefix;
    private final Cache<String, Boolean> recentlyRenewedIndexes;

    /**
     * @param writer how a new session record is written
     * @param namespace prefix of every key
     * @param ttl idle timeout of a session
     */
    public RedisSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens, SessionWriter writer, String namespace,
            Duration ttl, Clock clock) {
        this.redis = redis;
        this.tokens = tokens;
        this.writer = writer;
        this.clock = clock;
        this.ttl = ttl;
        Duration indexInterval = indexRenewalInterval(ttl);
        this.userIndexTtl = ttl.plus(indexInterval).plus(indexInterval);
        this.sessionPrefix = namespace + ":session:";
        this.userPrefix = namespace + ":user:";
        this.recentlyRenewedIndexes = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterWrite(indexInterval)
                .build();
    }

    /**
     * How often one instance renews a user's index while the user's sessions are in use: a tenth of the TTL, at most
     * an hour, never less often than the sessions themselves. Each renewal gives the index the TTL plus two of these
     * intervals, so it always outlives the sessions it lists, and a session renewal rarely costs a second command.
     */
    static Duration indexRenewalInterval(Duration ttl) {
        Duration tenth = ttl.dividedBy(10);
        Duration atMostAnHour = tenth.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : tenth;
        Duration sessions = renewalInterval(ttl);
        return atMostAnHour.compareTo(sessions) < 0 ? sessions : atMostAnHour;
    }

    /**
     * How long a session may go without a renewal in Redis while it is in use (the lag docs/reference.md allows): 1% of the TTL, at
     * most a minute, at least a second.
     */
    public static Duration renewalInterval(Duration ttl) {
        Duration onePercent = ttl.dividedBy(100);
        Duration atMostAMinute = onePercent.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : onePercent;
        return atMostAMinute.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : atMostAMinute;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity) {
        return tokens.next().flatMap(token -> {
            String hash = Tokens.hash(token);
            Session session = new Session(identity.openid(), identity.unionid(), identity.appid(),
                    identity.sessionKey(), clock.instant().getEpochSecond());
            String key = sessionKey(hash);
            Mono<Void> stored = writer.set(key, json.writeValueAsString(session), ttl);
            Mono<Long> indexed = redis.execute(INDEX_SESSION, List.of(userKey(session.appid(), session.openid())),
                    List.of(session.sessionKey(), SESSION_FIELD_PREFIX + hash, Long.toString(session.createdAt()),
                            Long.toString(userIndexTtl.toMillis()))).then(Mono.just(1L));
            return Mono.when(stored, indexed).thenReturn(new IssuedSession(token, ttl, session));
        }).onErrorMap(RedisSessionStore::unavailable);
    }

    @Override
    public Mono<Session> find(String token) {
        String hash = Tokens.hash(token);
        return redis.opsForValue().getAndExpire(sessionKey(hash), ttl)
                .flatMap(this::read)
                .flatMap(session -> renewIndexIfDue(session).thenReturn(session))
                .onErrorMap(RedisSessionStore::unavailable);
    }

    @Override
    public Mono<Boolean> renew(String token, Session session) {
        return redis.expire(sessionKey(Tokens.hash(token)), ttl)
                .flatMap(live -> live ? renewIndexIfDue(session).thenReturn(true) : Mono.just(false))
                .onErrorMap(RedisSessionStore::unavailable);
    }

    private Mono<Boolean> renewIndexIfDue(Session session) {
        String userKey = userKey(session.appid(), session.openid());
        if (recentlyRenewedIndexes.getIfPresent(userKey) != null) {
            return Mono.empty();
        }
        recentlyRenewedIndexes.put(userKey, Boolean.TRUE);
        return redis.expire(userKey, userIndexTtl);
    }

    @Override
    public Mono<String> newestSessionKey(String appid, String openid) {
        return redis.<String, String>opsForHash().get(userKey(appid, openid), SESSION_KEY_FIELD)
                .onErrorMap(RedisSessionStore::unavailable);
    }

    @Override
    public Mono<Boolean> delete(String token) {
        String hash = Tokens.hash(token);
        return redis.opsForValue().getAndDelete(sessionKey(hash))
                .flatMap(this::read)
                .flatMap(session -> redis.opsForHash()
                        .remove(userKey(session.appid(), session.openid()), SESSION_FIELD_PREFIX + hash)
                        .thenReturn(true))
                .defaultIfEmpty(false)
                .onErrorMap(RedisSessionStore::unavailable);
    }

    /** The session a record describes; empty (the token does not work) when the record cannot be read. */
    private Mono<Session> read(String value) {
        try {
            return Mono.just(json.readValue(value, Session.class));
        } catch (JacksonException unreadable) {
            log.warn("Ignoring an unreadable session record: " + unreadable.getClass().getSimpleName());
            return Mono.empty();
        }
    }

    private String sessionKey(String hash) {
        return sessionPrefix + hash;
    }

    private String userKey(String appid, String openid) {
        return userPrefix + appid + ":" + openid;
    }

    private static Throwable unavailable(Throwable failure) {
        if (failure instanceof GatewayErrorException) {
            return failure;
        }
        log.warn("Session store unavailable: " + failure.getClass().getSimpleName() + ": " + failure.getMessage());
        return new GatewayErrorException(GatewayError.SESSION_STORE_UNAVAILABLE);
    }
}
