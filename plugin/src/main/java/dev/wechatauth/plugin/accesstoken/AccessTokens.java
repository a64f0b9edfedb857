package dev.wechatauth.plugin.accesstoken;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.wechat.AccessToken;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.TokenReply;
import dev.wechatauth.plugin.wechat.WechatApi;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each mini-program's access_token, shared by every gateway instance through Redis, from WeChat's stable_token API.
 * <pre>
 * {ns}:access-token:{appid}       string  base64url(iv | AES-GCM(k, {"token","id","refreshBelow"}))
 *                                         k = SHA-256("access-token" 0 appid 0 AppSecret): a reader of Redis without
 *                                         the AppSecret cannot use the token
 *                                         PX = the token's life left, as WeChat said (counted from the call's start)
 *                                         read: EVAL of GET + PTTL (one key); write: SET PX
 * {ns}:access-token-lock:{appid}  string  a random owner id while one instance calls stable_token;
 *                                         SET NX PX (timeout + 2 s), released by EVAL of GET + DEL if still its own
 * </pre>
 * <ul>
 * <li><b>In use</b>: an instance keeps the token in memory until it is due for refresh, then reads Redis (another
 * instance may have refreshed it).</li>
 * <li><b>Refreshed ahead of expiry</b>: once less than {@code refreshAhead} of its life is left ({@code refreshBelow}
 * in the record), the request that notices it still uses it, and a refresh runs in the background if this instance
 * can take the lock. If WeChat hands the same token back (it renews only in the last minutes of a token's life), the
 * next refresh is due when half of what is left has passed.</li>
 * <li><b>At most one call at a time across instances</b>: the instance holding the lock calls stable_token and writes
 * the result; every other request that needs a new token (none in Redis, it expired, or WeChat refused it) polls
 * Redis on Reactor's timer ({@link Retry}), never blocking a thread, until a new record appears or the lock is free
 * to take; within one instance, those requests share one such wait. A holder that died leaves the lock to expire.</li>
 * <li><b>Refused by an API</b> (40001, 42001): {@link #call} takes a new token (from Redis if another instance already
 * has one, else from stable_token) and calls once more; a second refusal is a {@code wechat_error}.</li>
 * </ul>
 * The token is never in an answer, a header, an exception message or a log line; {@link #knownTokens()} lets the log
 * guard drop any line that would carry one.
 */
public class AccessTokens {

    private static final Log log = LogFactory.getLog(AccessTokens.class);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration LOCK_MARGIN = Duration.ofSeconds(2);
    private static final Duration WAIT_MARGIN = Duration.ofSeconds(1);
    /** Tokens remembered per app for the log guard: the current one and those it replaced recently. */
    private static final int REMEMBERED_PER_APP = 3;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The record and the milliseconds it has left, in one round trip on one key; {} when there is none. */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> READ = RedisScript.of("""
            local value = redis.call('GET', KEYS[1])
            if not value then
              return {}
            end
            return {value, redis.call('PTTL', KEYS[1])}""", List.class);
    private static final RedisScript<Long> RELEASE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0""", Long.class);

    private final ReactiveStringRedisTemplate redis;
    private final WechatClient wechat;
    private final WechatCallGuard guard;
    private final String tokenPrefix;
    private final String lockPrefix;
    private final Duration refreshAhead;
    private final Duration lockTtl;
    private final long maxPolls;
    private final SecureRandom random = new SecureRandom();
    /** The token each app last used on this instance, until it is due for refresh. */
    private final Map<String, Held> memory = new ConcurrentHashMap<>();
    /** The wait for a new token of each app, shared by this instance's requests. */
    private final Map<String, Mono<Held>> waits = new ConcurrentHashMap<>();
    /** The apps whose token this instance refreshes in the background now. */
    private final Set<String> refreshingAhead = ConcurrentHashMap.newKeySet();
    private final Map<String, Deque<String>> remembered = new HashMap<>();
    private volatile List<String> knownTokens = List.of();

    /**
     * A token as this instance knows it, with the record's id and {@link System#nanoTime()} deadlines: when it is due
     * for refresh and when it expires. {@link #toString()} masks the token.
     */
    record Held(String token, String id, long refreshAt, long expiresAt) {

        boolean due(long now) {
            return now - refreshAt >= 0;
        }

        boolean expired(long now) {
            return now - expiresAt >= 0;
        }

        @Override
        public String toString() {
            return "Held[token=******, id=" + id + "]";
        }
    }

    /**
     * @param namespace prefix of the Redis keys
     * @param refreshAhead how much of a token's life may be left when it is refreshed
     * @param callTimeout the longest a stable_token call may take; the lock lives this long plus 2 s
     */
    public AccessTokens(ReactiveStringRedisTemplate redis, WechatClient wechat, WechatCallGuard guard,
            String namespace, Duration refreshAhead, Duration callTimeout) {
        this.redis = redis;
        this.wechat = wechat;
        this.guard = guard;
        this.tokenPrefix = namespace + ":access-token:";
        this.lockPrefix = namespace + ":access-token-lock:";
        this.refreshAhead = refreshAhead;
        this.lockTtl = callTimeout.plus(LOCK_MARGIN);
        this.maxPolls = Math.max(1, lockTtl.plus(WAIT_MARGIN).toMillis() / POLL_INTERVAL.toMillis());
    }

    /**
     * Calls an API of {@code app} with its access_token. When the API refuses the token, takes a new one and calls
     * once more; a second refusal is a {@code wechat_error}.
     */
    public <T> Mono<T> call(MiniProgram app, Function<String, Mono<TokenReply<T>>> api) {
        return current(app).flatMap(held -> api.apply(held.token()).flatMap(reply -> {
            if (!reply.tokenRefused()) {
                return Mono.just(reply.value());
            }
            memory.remove(app.appid(), held);
            return replace(app, held.id())
                    .flatMap(fresh -> api.apply(fresh.token()))
                    .flatMap(second -> second.tokenRefused()
                            ? Mono.error(new GatewayErrorException(GatewayError.WECHAT_ERROR))
                            : Mono.just(second.value()));
        }));
    }

    /** The access_token of {@code app} to use now. */
    public Mono<String> token(MiniProgram app) {
        return current(app).map(Held::token);
    }

    /**
     * The access_tokens this instance used lately (the current one of each app and a few it replaced), for the log
     * guard. Cheap: an immutable list made when a token is learnt.
     */
    public List<String> knownTokens() {
        return knownTokens;
    }

    private Mono<Held> current(MiniProgram app) {
        Held held = memory.get(app.appid());
        if (held != null && !held.due(System.nanoTime())) {
            return Mono.just(held);
        }
        return read(app)
                .onErrorResume(GatewayErrorException.class, storeDown -> held != null && !held.expired(System.nanoTime())
                        ? Mono.just(held) : Mono.error(storeDown))
                .flatMap(found -> {
                    long now = System.nanoTime();
                    if (found.expired(now)) {
                        return Mono.empty();
                    }
                    remember(app.appid(), found);
                    if (found.due(now)) {
                        refreshAhead(app, found);
                    }
                    return Mono.just(found);
                })
                .switchIfEmpty(Mono.defer(() -> replace(app, null)));
    }

    /**
     * A token other than the record {@code staleId} (any valid one when null), waiting for the refresh under way on
     * this instance if there is one.
     */
    private Mono<Held> replace(MiniProgram app, String staleId) {
        String appid = app.appid();
        Mono<Held> running = waits.get(appid);
        if (running != null) {
            return running;
        }
        AtomicReference<Mono<Held>> self = new AtomicReference<>();
        Mono<Held> wait = Mono.defer(() -> acquireOrAwait(app, staleId))
                .doFinally(signal -> waits.remove(appid, self.get()))
                .cache();
        self.set(wait);
        Mono<Held> raced = waits.putIfAbsent(appid, wait);
        if (raced != null) {
            return raced;
        }
        // runs to the end even if every request waiting for it goes away, so that the lock is released at once
        wait.subscribe(fresh -> { }, failure -> { });
        return wait;
    }

    /**
     * Polls until a usable record is in Redis or this instance holds the lock and made one; gives up with
     * {@code wechat_timeout} once a lock holder could have finished.
     */
    private Mono<Held> acquireOrAwait(MiniProgram app, String staleId) {
        return Mono.defer(() -> attempt(app, staleId))
                .retryWhen(Retry.fixedDelay(maxPolls, POLL_INTERVAL)
                        .filter(NotYet.class::isInstance)
                        .onRetryExhaustedThrow((spec, signal) -> new GatewayErrorException(GatewayError.WECHAT_TIMEOUT)));
    }

    private Mono<Held> attempt(MiniProgram app, String staleId) {
        return read(app)
                .filter(found -> usable(found, staleId))
                .switchIfEmpty(Mono.defer(() -> {
                    String owner = randomId();
                    return lock(app, owner).flatMap(locked -> locked
                            ? fetchHoldingTheLock(app, staleId, owner)
                            : Mono.error(new NotYet()));
                }))
                .doOnNext(fresh -> remember(app.appid(), fresh));
    }

    /**
     * Refreshes a token that is due but still valid, without making any request wait: only if this instance can take
     * the lock now (another instance holding it is refreshing already).
     */
    private void refreshAhead(MiniProgram app, Held due) {
        String appid = app.appid();
        if (!refreshingAhead.add(appid)) {
            return;
        }
        String owner = randomId();
        lock(app, owner)
                .flatMap(locked -> locked ? fetchHoldingTheLock(app, due.id(), owner) : Mono.<Held>empty())
                .doFinally(signal -> refreshingAhead.remove(appid))
                .subscribe(fresh -> remember(appid, fresh), failure -> log.warn("Refreshing the access_token of "
                        + appid + " ahead of its expiry failed; the next request past its refresh time tries again: "
                        + describe(failure)));
    }

    /**
     * With the lock: takes the record another instance wrote just before, if any, else calls stable_token and writes
     * the new record; releases the lock either way.
     */
    private Mono<Held> fetchHoldingTheLock(MiniProgram app, String staleId, String owner) {
        return read(app)
                .onErrorResume(GatewayErrorException.class, unreadable -> Mono.empty())
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .flatMap(previous -> {
                    if (previous.isPresent() && usable(previous.get(), staleId)) {
                        return Mono.just(previous.get());
                    }
                    long start = System.nanoTime();
                    return guard.guard(WechatApi.STABLE_TOKEN, app.appid(), () -> wechat.stableToken(app))
                            .flatMap(token -> write(app, token, start, previous.orElse(null)));
                })
                .flatMap(fresh -> release(app, owner).thenReturn(fresh))
                .onErrorResume(failure -> release(app, owner).then(Mono.error(failure)));
    }

    /** A record others may use instead of calling WeChat: not expired, and not the one being replaced. */
    private static boolean usable(Held found, String staleId) {
        return !found.expired(System.nanoTime()) && (staleId == null || !staleId.equals(found.id()));
    }

    private Mono<Held> write(MiniProgram app, AccessToken token, long start, Held previous) {
        long now = System.nanoTime();
        long lifeMillis = token.expiresIn().toMillis() - Duration.ofNanos(now - start).toMillis();
        if (lifeMillis <= 0) {
            return Mono.error(new GatewayErrorException(GatewayError.WECHAT_ERROR));
        }
        boolean sameTokenAgain = previous != null && previous.token().equals(token.value());
        long refreshBelow = sameTokenAgain || refreshAhead.toMillis() >= lifeMillis
                ? lifeMillis / 2 : refreshAhead.toMillis();
        String id = randomId();
        String json = JSON.writeValueAsString(JSON.createObjectNode()
                .put("token", token.value())
                .put("id", id)
                .put("refreshBelow", refreshBelow));
        Held fresh = held(token.value(), id, refreshBelow, lifeMillis, now);
        return redis.opsForValue().set(tokenKey(app), seal(app, json), Duration.ofMillis(lifeMillis))
                .onErrorMap(AccessTokens::storeUnavailable)
                .thenReturn(fresh);
    }

    /** The record in Redis, with deadlines in this instance's time; empty when there is none or it is unreadable. */
    @SuppressWarnings("unchecked")
    private Mono<Held> read(MiniProgram app) {
        return redis.execute(READ, List.of(tokenKey(app)))
                .next()
                .onErrorMap(AccessTokens::storeUnavailable)
                .flatMap(reply -> {
                    List<Object> values = (List<Object>) reply;
                    if (values.size() != 2) {
                        return Mono.empty();
                    }
                    long now = System.nanoTime();
                    long pttl = Long.parseLong(String.valueOf(values.get(1)));
                    return Mono.justOrEmpty(open(app, String.valueOf(values.get(0)), pttl, now));
                });
    }

    private Held open(MiniProgram app, String sealed, long pttl, long now) {
        if (pttl <= 0) {
            return null;
        }
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(sealed);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key(app), new GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES));
            JsonNode record = JSON.readTree(new String(cipher.doFinal(bytes, IV_BYTES, bytes.length - IV_BYTES),
                    StandardCharsets.UTF_8));
            return held(record.get("token").asString(), record.get("id").asString(),
                    record.get("refreshBelow").asLong(), pttl, now);
        } catch (GeneralSecurityException | IllegalArgumentException | JacksonException | NullPointerException
                unreadable) {
            // sealed under another AppSecret (it was changed) or not ours: a new token replaces it
            return null;
        }
    }

    private static Held held(String token, String id, long refreshBelowMillis, long lifeMillis, long now) {
        long expiresAt = now + Duration.ofMillis(lifeMillis).toNanos();
        return new Held(token, id, expiresAt - Duration.ofMillis(refreshBelowMillis).toNanos(), expiresAt);
    }

    private Mono<Boolean> lock(MiniProgram app, String owner) {
        return redis.opsForValue().setIfAbsent(lockKey(app), owner, lockTtl)
                .onErrorMap(AccessTokens::storeUnavailable);
    }

    /** Releases the lock if it is still {@code owner}'s; a failure only leaves it to expire. */
    private Mono<Long> release(MiniProgram app, String owner) {
        return redis.execute(RELEASE, List.of(lockKey(app)), List.of(owner)).next().onErrorReturn(0L);
    }

    /** Keeps {@code held} in memory for use until it is due, and among the tokens the log guard knows. */
    private void remember(String appid, Held held) {
        memory.put(appid, held);
        synchronized (remembered) {
            Deque<String> tokens = remembered.computeIfAbsent(appid, key -> new ArrayDeque<>());
            if (held.token().equals(tokens.peekFirst())) {
                return;
            }
            tokens.remove(held.token());
            tokens.addFirst(held.token());
            while (tokens.size() > REMEMBERED_PER_APP) {
                tokens.removeLast();
            }
            List<String> all = new ArrayList<>();
            remembered.values().forEach(all::addAll);
            knownTokens = List.copyOf(all);
        }
    }

    private String seal(MiniProgram app, String json) {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key(app), new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(json.getBytes(StandardCharsets.UTF_8));
            return BASE64URL.encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
        } catch (GeneralSecurityException impossible) {
            throw new IllegalStateException("AES-GCM is part of every Java platform", impossible);
        }
    }

    private static SecretKeySpec key(MiniProgram app) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(("access-token\0" + app.appid() + '\0' + app.secret()).getBytes(StandardCharsets.UTF_8));
            return new SecretKeySpec(sha256.digest(), "AES");
        } catch (GeneralSecurityException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }

    private String randomId() {
        byte[] id = new byte[16];
        random.nextBytes(id);
        return BASE64URL.encodeToString(id);
    }

    private String tokenKey(MiniProgram app) {
        return tokenPrefix + app.appid();
    }

    private String lockKey(MiniProgram app) {
        return lockPrefix + app.appid();
    }

    private static Throwable storeUnavailable(Throwable failure) {
        if (failure instanceof GatewayErrorException) {
            return failure;
        }
        log.warn("Access token store unavailable: " + failure.getClass().getSimpleName());
        return new GatewayErrorException(GatewayError.SESSION_STORE_UNAVAILABLE);
    }

    private static String describe(Throwable failure) {
        return failure instanceof GatewayErrorException expected ? expected.error().code()
                : failure.getClass().getSimpleName();
    }

    /** Another instance holds the lock and has not written a new token yet. */
    private static final class NotYet extends RuntimeException {
        NotYet() {
            super(null, null, false, false);
        }
    }
}
