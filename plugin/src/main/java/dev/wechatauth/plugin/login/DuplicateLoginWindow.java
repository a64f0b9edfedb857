package dev.wechatauth.plugin.login;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.LoginReceipt;
import dev.wechatauth.plugin.session.SessionStore;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Makes a code sent again within the window (a double tap, a retry after a lost answer) get the first copy's
 * outcome, on any instance, with one call to WeChat even when the copies arrive together. The first copy claims
 * the code in Redis; the others wait for its outcome there.
 * <pre>
 * {ns}:login-code:{id}  string, PX window from the first copy
 *     id = base64url(SHA-256("id" 0 appid 0 code))
 *     "pending"                          while the first copy is with WeChat   (SET NX PX window)
 *     "ok:" base64url(iv | AES-GCM(k, token)), k = SHA-256("key" 0 appid 0 code)   (SET KEEPTTL if present, by
 *                                        the script that writes the session where one primary holds every key)
 *     "err:" error name [":" retry-after seconds]
 * </pre>
 * The token is kept only encrypted under a key derived from the code, so a reader of Redis cannot use it. A copy
 * of a login whose session was since logged out gets {@code invalid_code}.
 */
public class DuplicateLoginWindow {

    private static final String PENDING = "pending";
    private static final String OK = "ok:";
    private static final String ERROR = "err:";
    private static final Duration POLL_INTERVAL = Duration.ofMillis(25);
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final RedisScript<Long> SETTLE = RedisScript.of("""
            if redis.call('EXISTS', KEYS[1]) == 1 then
              redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
              return 1
            end
            return 0""", Long.class);

    private final ReactiveStringRedisTemplate redis;
    private final SessionStore sessions;
    private final String prefix;
    private final Duration window;
    private final Duration longestWait;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param window how long after the first copy a copy counts as a duplicate ({@code 0}: no coalescing)
     * @param longestWait how long a copy waits for the first copy's outcome (the WeChat timeout, and some)
     */
    public DuplicateLoginWindow(ReactiveStringRedisTemplate redis, SessionStore sessions, String namespace,
            Duration window, Duration longestWait) {
        this.redis = redis;
        this.sessions = sessions;
        this.prefix = namespace + ":login-code:";
        this.window = window;
        this.longestWait = longestWait;
    }

    /**
     * The outcome of {@code exchange} for this code: run here if the code is new, else the first copy's. The exchange
     * is given the receipt its new session should leave for the copies ({@link SessionStore#create(
     * dev.wechatauth.plugin.wechat.WechatIdentity, String, LoginReceipt)}), or null without a window; a receipt the
     * store did not record is recorded here.
     */
    public Mono<IssuedSession> login(String appid, String code, Function<LoginReceipt, Mono<IssuedSession>> exchange) {
        if (window.isZero() || window.isNegative()) {
            return exchange.apply(null);
        }
        String key = prefix + derive("id", appid, code);
        return redis.opsForValue().setIfAbsent(key, PENDING, window)
                .onErrorMap(DuplicateLoginWindow::storeUnavailable)
                .flatMap(claimed -> claimed
                        ? runFirst(key, appid, code, exchange)
                        : awaitFirst(key, appid, code, exchange));
    }

    /**
     * Runs the exchange for the first copy and records its outcome. It runs to the end even if this client goes
     * away: the code is probably used by then, and a copy sent next must find the outcome.
     */
    private Mono<IssuedSession> runFirst(String key, String appid, String code,
            Function<LoginReceipt, Mono<IssuedSession>> exchange) {
        LoginReceipt receipt = new LoginReceipt(key, token -> OK + encrypt(appid, code, token));
        Mono<IssuedSession> outcome = Mono.defer(() -> exchange.apply(receipt))
                .flatMap(issued -> receipt.recorded() ? Mono.just(issued)
                        : settle(key, receipt.valueFor(issued.token())).thenReturn(issued))
                .onErrorResume(GatewayErrorException.class, failure -> recordable(failure)
                        ? settle(key, ERROR + failure.error().name()
                                + (failure.retryAfter() == null ? "" : ":" + failure.retryAfter().toSeconds()))
                                .then(Mono.error(failure))
                        : Mono.error(failure))
                .cache();
        outcome.subscribe(issued -> { }, failure -> { });
        return outcome;
    }

    /**
     * Whether a failure is worth recording for the copies: not when the store itself failed, since recording would
     * only wait for it to time out again (the copies find the code still pending and time out themselves).
     */
    private static boolean recordable(GatewayErrorException failure) {
        return failure.error() != GatewayError.SESSION_STORE_UNAVAILABLE;
    }

    /** Records the first copy's outcome; a store that fails now only costs the copies their wait. */
    private Mono<Long> settle(String key, String outcome) {
        return redis.execute(SETTLE, List.of(key), List.of(outcome)).next().onErrorReturn(0L);
    }

    private Mono<IssuedSession> awaitFirst(String key, String appid, String code,
            Function<LoginReceipt, Mono<IssuedSession>> exchange) {
        return redis.opsForValue().get(key)
                .onErrorMap(DuplicateLoginWindow::storeUnavailable)
                .defaultIfEmpty("")
                .flatMap(outcome -> outcome.equals(PENDING) ? Mono.error(new StillPending()) : Mono.just(outcome))
                .retryWhen(Retry.fixedDelay(longestWait.toMillis() / POLL_INTERVAL.toMillis(), POLL_INTERVAL)
                        .filter(StillPending.class::isInstance)
                        .onRetryExhaustedThrow((spec, signal) -> new GatewayErrorException(GatewayError.WECHAT_TIMEOUT)))
                .flatMap(outcome -> {
                    if (outcome.startsWith(OK)) {
                        return sameSession(decrypt(appid, code, outcome.substring(OK.length())));
                    }
                    if (outcome.startsWith(ERROR)) {
                        return Mono.error(sameError(outcome.substring(ERROR.length())));
                    }
                    // the window ended between the two reads: WeChat's own answer stands
                    return Mono.defer(() -> exchange.apply(null));
                });
    }

    private Mono<IssuedSession> sameSession(String token) {
        return sessions.find(token)
                .map(session -> new IssuedSession(token, sessions.expiresIn(session), session))
                .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_CODE)));
    }

    private static GatewayErrorException sameError(String recorded) {
        String[] parts = recorded.split(":");
        GatewayError error;
        try {
            error = GatewayError.valueOf(parts[0]);
        } catch (IllegalArgumentException unknown) {
            error = GatewayError.WECHAT_ERROR;
        }
        Duration retryAfter = parts.length > 1 ? Duration.ofSeconds(Long.parseLong(parts[1])) : null;
        return new GatewayErrorException(error, retryAfter);
    }

    private String encrypt(String appid, String code, String token) {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key(appid, code), new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(token.getBytes(StandardCharsets.US_ASCII));
            return BASE64URL.encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
        } catch (GeneralSecurityException impossible) {
            throw new IllegalStateException("AES-GCM is part of every Java platform", impossible);
        }
    }

    private static String decrypt(String appid, String code, String sealed) {
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(sealed);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key(appid, code), new GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES));
            return new String(cipher.doFinal(bytes, IV_BYTES, bytes.length - IV_BYTES), StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException | IllegalArgumentException tampered) {
            throw new GatewayErrorException(GatewayError.INVALID_CODE);
        }
    }

    private static SecretKeySpec key(String appid, String code) {
        return new SecretKeySpec(digest("key", appid, code), "AES");
    }

    private static String derive(String purpose, String appid, String code) {
        return BASE64URL.encodeToString(digest(purpose, appid, code));
    }

    private static byte[] digest(String purpose, String appid, String code) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update((purpose + '\0' + appid + '\0' + code).getBytes(StandardCharsets.UTF_8));
            return sha256.digest();
        } catch (GeneralSecurityException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }

    private static Throwable storeUnavailable(Throwable failure) {
        return failure instanceof GatewayErrorException ? failure
                : new GatewayErrorException(GatewayError.SESSION_STORE_UNAVAILABLE);
    }

    /** The first copy has not finished yet. */
    private static final class StillPending extends RuntimeException {
        StillPending() {
            super(null, null, false, false);
        }
    }
}
