package dev.wechatauth.plugin.session;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Sessions in Redis. Every key lives under a namespace ({@code ns}, default {@code wechat-auth}) and has a TTL.
 * <pre>
 * {ns}:session:{h}            string  JSON {openid, unionid, appid, sessionKey, createdAt, endsAt, lastUsedAt,
 *                                     userAgent}; times in epoch seconds
 *                                     h = base64url(SHA-256(token)); the token itself is never stored
 *                                     create, one primary (standalone, Sentinel): CREATE (INDEX, SET key json
 *                                             PX min(ttl, max-lifetime), the login's receipt), one round trip
 *                                             (with a pipelined WAIT on Sentinel: see ReplicatedSessionWriter)
 *                                     create, Cluster: SET key json PX … with a pipelined WAIT, then INDEX on
 *                                             the user (another slot)
 *                                     lookup and renewal: LOOKUP (one round trip: read, expire at
 *                                             min(now + ttl, endsAt), lastUsedAt rewritten once per renewal interval);
 *                                             background renewals are pipelined in batches (PipelinedScripts)
 *                                     logout: GETDEL key, then HDEL of the user index field
 * {ns}:user:{appid}:{openid}  hash    session_key   -> the user's newest session_key (each login overwrites it)
 *                                     s:{h}         -> createdAt:order of each session of the user
 *                                     logins        -> the user's login count (the order above)
 *                                     blocked_until -> epoch ms until which the user's logins are refused
 *                                     create: INDEX or CREATE (block check, HSET, the oldest past max-per-user
 *                                             removed)
 *                                     kick out, block: END_ALL (every s: field removed, the block set)
 *                                     decrypt: HGET key session_key (newestSessionKey)
 *                                     TTL = ttl + 2 index intervals (a tenth of the TTL, at most an hour), or
 *                                     longer for a block; lengthened, never shortened, at most once per index
 *                                     interval per user and instance, so it outlives every session it lists
 * </pre>
 * The user index is the authority on which sessions a user holds: a script decides atomically on the user's key
 * whether the user is blocked and which sessions the limit ends; only then are the ended sessions' keys deleted. Where
 * one primary holds every key, that script also writes the session (only when the user is not blocked) and the
 * login's receipt for the duplicate window. On Cluster, keys of one user share no hash slot with their sessions, so no
 * command there spans two keys: the session is written first, then listed by a script on the user's key alone. Either
 * way two logins of one user on two instances are ordered by the user's key, so the index never lists more sessions
 * than the limit.
 * Ended sessions are deleted after the script; a gateway that dies between the two leaves those sessions alive
 * (unlisted) until their idle timeout.
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
    private static final String BLOCKED_UNTIL_FIELD = "blocked_until";

    private final ReactiveStringRedisTemplate redis;
    private final Tokens tokens;
    private final SessionWriter writer;
    private final ScriptRunner renewals;
    private final ScriptRunner immediately;
    private final JsonMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();
    private final Clock clock;
    private final SessionPolicy policy;
    private final Duration userIndexTtl;
    private final Duration renewalInterval;
    private final String sessionPrefix;
    private final String userPrefix;
    private final Cache<String, Boolean> recentlyRenewedIndexes;

    /** A new session and the sessions of the same user that its login ended (their token hashes). */
    record Created(IssuedSession issued, List<String> ended) {
    }

    /**
     * @param writer how a new session record is written
     * @param namespace prefix of every key
     * @param policy the idle timeout, the absolute lifetime and the limit per user
     */
    public RedisSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens, SessionWriter writer, String namespace,
            SessionPolicy policy, Clock clock) {
        this(redis, tokens, writer, ScriptRunner.of(redis), namespace, policy, clock);
    }

    /**
     * @param renewals how {@link #renew} sends its scripts, which nobody waits for (e.g. {@link PipelinedScripts});
     *        lookups always go at once through {@code redis}
     */
    public RedisSessionStore(ReactiveStringRedisTemplate redis, Tokens tokens, SessionWriter writer,
            ScriptRunner renewals, String namespace, SessionPolicy policy, Clock clock) {
        this.redis = redis;
        this.tokens = tokens;
        this.writer = writer;
        this.renewals = renewals;
        this.immediately = ScriptRunner.of(redis);
        this.clock = clock;
        this.policy = policy;
        Duration indexInterval = indexRenewalInterval(policy.ttl());
        this.userIndexTtl = policy.ttl().plus(indexInterval).plus(indexInterval);
        this.renewalInterval = renewalInterval(policy.ttl());
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
    public Duration expiresIn(Session session) {
        if (session.endsAt() <= 0) {
            return policy.firstExpiry();
        }
        Duration absolute = Duration.ofSeconds(session.endsAt()).minusMillis(clock.millis());
        Duration left = absolute.compareTo(policy.ttl()) < 0 ? absolute : policy.ttl();
        return left.isNegative() ? Duration.ZERO : left;
    }

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity, String userAgent) {
        return create(identity, userAgent, null);
    }

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity, String userAgent, LoginReceipt receipt) {
        return createEnding(identity, userAgent, receipt).map(Created::issued);
    }

    /**
     * {@link #create}, telling which sessions of the user the login ended (for the instances' memory). Where one
     * primary holds every key, one script writes the session, the user's index and the receipt; on Cluster the session
     * and the index are in different slots, so the session is written first and then listed by {@link
     * SessionScripts#INDEX}, and the receipt is left to the caller.
     */
    Mono<Created> createEnding(WechatIdentity identity, String userAgent, LoginReceipt receipt) {
        return tokens.next().flatMap(token -> {
            String hash = Tokens.hash(token);
            long now = clock.millis();
            long createdAt = now / 1000;
            Session session = new Session(identity.openid(), identity.unionid(), identity.appid(),
                    identity.sessionKey(), createdAt, createdAt + policy.maxLifetime().toSeconds(), createdAt,
                    userAgent);
            String key = sessionKey(hash);
            String userKey = userKey(session.appid(), session.openid());
            List<String> listing = List.of(session.sessionKey(), SESSION_FIELD_PREFIX + hash, Long.toString(createdAt),
                    Long.toString(userIndexTtl.toMillis()), Integer.toString(policy.maxPerUser()), Long.toString(now));
            Mono<String> written = writer.onOnePrimary()
                    ? writeAtOnce(key, userKey, listing, json.writeValueAsString(session), token, receipt)
                    : writer.set(key, json.writeValueAsString(session), policy.firstExpiry())
                            .then(redis.execute(SessionScripts.INDEX, List.of(userKey), listing).next())
                            .flatMap(answer -> answer.equals("blocked") ? redis.delete(key).thenReturn(answer)
                                    : Mono.just(answer));
            return written.flatMap(answer -> answer.equals("blocked")
                    ? Mono.error(new GatewayErrorException(GatewayError.BLOCKED_USER))
                    : deleteSessions(hashesIn(answer))
                            .thenReturn(new Created(new IssuedSession(token, policy.firstExpiry(), session),
                                    hashesIn(answer))));
        }).onErrorMap(RedisSessionStore::unavailable);
    }

    /** The session, the user's index and the receipt in one script ({@link SessionScripts#CREATE}). */
    private Mono<String> writeAtOnce(String key, String userKey, List<String> listing, String record, String token,
            LoginReceipt receipt) {
        List<String> args = new ArrayList<>(listing);
        args.add(record);
        args.add(Long.toString(policy.firstExpiry().toMillis()));
        args.add(receipt == null ? "" : receipt.valueFor(token));
        List<String> keys = receipt == null ? List.of(userKey, key) : List.of(userKey, key, receipt.key());
        return writer.run(SessionScripts.CREATE, keys, args).doOnNext(answer -> {
            if (receipt != null && !answer.equals("blocked")) {
                receipt.markRecorded();
            }
        });
    }

    @Override
    public Mono<Session> find(String token) {
        return lookUp(token, immediately)
                .flatMap(this::read)
                .flatMap(session -> renewIndexIfDue(session, immediately).thenReturn(session))
                .onErrorMap(RedisSessionStore::unavailable);
    }

    /** Renews through {@code renewals}: a background renewal may wait a moment to go out with others. */
    @Override
    public Mono<Boolean> renew(String token, Session session) {
        return lookUp(token, renewals)
                .flatMap(found -> renewIndexIfDue(session, renewals).thenReturn(true))
                .defaultIfEmpty(false)
                .onErrorMap(RedisSessionStore::unavailable);
    }

    /** The session's record, renewed (never past its end); empty when there is none. */
    private Mono<String> lookUp(String token, ScriptRunner scripts) {
        return scripts.run(SessionScripts.LOOKUP, sessionKey(Tokens.hash(token)),
                List.of(Long.toString(policy.ttl().toMillis()), Long.toString(policy.maxLifetime().toMillis()),
                        Long.toString(clock.millis()), Long.toString(renewalInterval.toMillis())));
    }

    private Mono<Long> renewIndexIfDue(Session session, ScriptRunner scripts) {
        String userKey = userKey(session.appid(), session.openid());
        if (recentlyRenewedIndexes.getIfPresent(userKey) != null) {
            return Mono.empty();
        }
        recentlyRenewedIndexes.put(userKey, Boolean.TRUE);
        return scripts.run(SessionScripts.RENEW_INDEX, userKey, List.of(Long.toString(userIndexTtl.toMillis())));
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

    @Override
    public Mono<List<UserSession>> sessionsOf(String appid, String openid) {
        String userKey = userKey(appid, openid);
        return redis.<String, String>opsForHash().entries(userKey)
                .filter(field -> field.getKey().startsWith(SESSION_FIELD_PREFIX))
                .collectList()
                .flatMap(fields -> Flux.fromIterable(fields)
                        .flatMap(field -> view(field.getKey().substring(SESSION_FIELD_PREFIX.length()))
                                .map(listed -> new Listed(listed, order(field.getValue())))
                                .switchIfEmpty(Mono.defer(() -> redis.opsForHash().remove(userKey, field.getKey())
                                        .then(Mono.empty()))))
                        .sort(Comparator.comparing(Listed::order).reversed())
                        .map(Listed::session)
                        .collectList())
                .onErrorMap(RedisSessionStore::unavailable);
    }

    /** A listed session and its place in the order of the user's logins. */
    private record Listed(UserSession session, LoginOrder order) {
    }

    /** When a session's login was, from its index value {@code createdAt[:order]}. */
    private record LoginOrder(long createdAt, long order) implements Comparable<LoginOrder> {

        @Override
        public int compareTo(LoginOrder other) {
            int byTime = Long.compare(createdAt, other.createdAt);
            return byTime != 0 ? byTime : Long.compare(order, other.order);
        }
    }

    private static LoginOrder order(String indexValue) {
        String[] parts = indexValue.split(":");
        try {
            return new LoginOrder(Long.parseLong(parts[0]), parts.length > 1 ? Long.parseLong(parts[1]) : 0);
        } catch (NumberFormatException unreadable) {
            return new LoginOrder(0, 0);
        }
    }

    /** The session of {@code hash} as its user sees it, without renewing it; empty when it is gone. */
    private Mono<UserSession> view(String hash) {
        return script(SessionScripts.VIEW, sessionKey(hash)).flatMap(answer -> {
            int space = answer.indexOf(' ');
            long pttl = Long.parseLong(answer.substring(0, space));
            return read(answer.substring(space + 1)).map(session -> describe(hash, session, pttl));
        });
    }

    private UserSession describe(String hash, Session session, long pttl) {
        long now = clock.millis();
        long idleLeft = pttl < 0 ? policy.ttl().toMillis() : pttl;
        long expiresIn = Math.min(idleLeft, expiresIn(session).toMillis()) / 1000;
        long lastUsedAt = session.lastUsedAt() > 0 ? session.lastUsedAt()
                // a record from before lastUsedAt was kept: its last renewal set the full idle timeout
                : Math.max(session.createdAt(), (now - (policy.ttl().toMillis() - idleLeft)) / 1000);
        return new UserSession(Tokens.publicId(hash), session.createdAt(), lastUsedAt, expiresIn, session.userAgent());
    }

    @Override
    public Mono<Boolean> end(String appid, String openid, String id) {
        return endById(appid, openid, id).hasElement();
    }

    /** Ends the user's session of public id {@code id}; emits its token hash, or nothing when there is none. */
    Mono<String> endById(String appid, String openid, String id) {
        String userKey = userKey(appid, openid);
        return redis.<String, String>opsForHash().keys(userKey)
                .filter(field -> field.startsWith(SESSION_FIELD_PREFIX)
                        && Tokens.publicId(field.substring(SESSION_FIELD_PREFIX.length())).equals(id))
                .next()
                .flatMap(field -> {
                    String hash = field.substring(SESSION_FIELD_PREFIX.length());
                    return redis.delete(sessionKey(hash))
                            .flatMap(deleted -> redis.opsForHash().remove(userKey, field)
                                    .then(deleted > 0 ? Mono.just(hash) : Mono.empty()));
                })
                .onErrorMap(RedisSessionStore::unavailable);
    }

    @Override
    public Mono<Integer> endAll(String appid, String openid) {
        return endAllOf(appid, openid, null).map(List::size);
    }

    @Override
    public Mono<Void> block(String appid, String openid, Duration duration) {
        return endAllOf(appid, openid, duration).then();
    }

    /**
     * Ends every session of the user and, with a {@code block}, refuses the user's logins that long; emits the
     * token hashes of the sessions ended.
     */
    Mono<List<String>> endAllOf(String appid, String openid, Duration block) {
        String blockedUntil = block == null ? "" : Long.toString(clock.millis() + block.toMillis());
        String keepIndex = block == null ? "0" : Long.toString(block.toMillis());
        return script(SessionScripts.END_ALL, userKey(appid, openid), blockedUntil, keepIndex)
                .map(RedisSessionStore::hashesIn)
                .flatMap(hashes -> deleteSessions(hashes).thenReturn(hashes))
                .onErrorMap(RedisSessionStore::unavailable);
    }

    @Override
    public Mono<Boolean> unblock(String appid, String openid) {
        return redis.execute(SessionScripts.UNBLOCK, List.of(userKey(appid, openid)),
                        List.of(Long.toString(clock.millis())))
                .next()
                .map(lifted -> lifted == 1)
                .onErrorMap(RedisSessionStore::unavailable);
    }

    @Override
    public Mono<Duration> blockedFor(String appid, String openid) {
        return redis.<String, String>opsForHash().get(userKey(appid, openid), BLOCKED_UNTIL_FIELD)
                .flatMap(until -> {
                    long left;
                    try {
                        left = Long.parseLong(until) - clock.millis();
                    } catch (NumberFormatException unreadable) {
                        return Mono.empty();
                    }
                    return left > 0 ? Mono.just(Duration.ofMillis(left)) : Mono.empty();
                })
                .onErrorMap(RedisSessionStore::unavailable);
    }

    private Mono<Void> deleteSessions(List<String> hashes) {
        return Flux.fromIterable(hashes).flatMap(hash -> redis.delete(sessionKey(hash))).then();
    }

    /** The hashes after the {@code "ok"} of a script's answer. */
    private static List<String> hashesIn(String answer) {
        List<String> hashes = new ArrayList<>(Arrays.asList(answer.split(" ")));
        hashes.remove(0);
        hashes.removeIf(String::isEmpty);
        return hashes;
    }

    private Mono<String> script(RedisScript<String> script, String key,
            String... args) {
        return redis.execute(script, List.of(key), List.of((Object[]) args)).next();
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
