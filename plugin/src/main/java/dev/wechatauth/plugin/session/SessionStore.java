package dev.wechatauth.plugin.session;

import java.time.Duration;
import java.util.List;

import dev.wechatauth.plugin.wechat.WechatIdentity;
import reactor.core.publisher.Mono;

/**
 * Where sessions live. Every method fails with a {@code GatewayErrorException} of
 * {@code session_store_unavailable} when the store cannot answer; "not found" is an empty result or {@code false},
 * never an error. Every session that ends, by whatever method, stops working on every instance within a second.
 */
public interface SessionStore {

    /**
     * Creates a session for {@code identity} and returns its new token; the user's newest session_key is replaced.
     * When the user then holds more sessions than allowed, the oldest ones end. A blocked user gets no session: the
     * result fails with {@code user_blocked}.
     *
     * @param userAgent the login request's {@code User-Agent} as {@link Session#userAgentOf} keeps it, or null
     */
    Mono<IssuedSession> create(WechatIdentity identity, String userAgent);

    /**
     * {@link #create(WechatIdentity, String)}, writing {@code receipt} (when not null) together with the new session
     * where the store can, which then marks it {@linkplain LoginReceipt#recorded() recorded}; this default leaves it
     * to the caller.
     */
    default Mono<IssuedSession> create(WechatIdentity identity, String userAgent, LoginReceipt receipt) {
        return create(identity, userAgent);
    }

    /**
     * The session of {@code token}, its idle timeout renewed (never past its absolute end); empty when the token is
     * unknown, expired or revoked.
     */
    Mono<Session> find(String token);

    /**
     * Renews the idle timeout of the session of {@code token}, last seen as {@code session}, without reading it again;
     * emits whether the store still has it.
     */
    Mono<Boolean> renew(String token, Session session);

    /**
     * The newest session_key WeChat gave the user {@code openid} of mini-program {@code appid} (each login replaces
     * it): the one that {@code encryptedData} made by the mini-program now decrypts with. Empty when none is stored.
     */
    Mono<String> newestSessionKey(String appid, String openid);

    /** Ends the session of {@code token} at once, on every instance; emits whether there was one. */
    Mono<Boolean> delete(String token);

    /** How long {@code session}, just used, has left: the smaller of the idle timeout and its absolute lifetime left. */
    Duration expiresIn(Session session);

    /** The live sessions of a user in one mini-program, newest login first. */
    Mono<List<UserSession>> sessionsOf(String appid, String openid);

    /** Ends the user's session whose public id is {@code id}; emits whether the user had such a live session. */
    Mono<Boolean> end(String appid, String openid, String id);

    /** Ends every session of the user in that mini-program; emits how many there were. */
    Mono<Integer> endAll(String appid, String openid);

    /**
     * Ends every session of the user and refuses the user's logins ({@code user_blocked}) for {@code duration};
     * a block already in place is replaced.
     */
    Mono<Void> block(String appid, String openid, Duration duration);

    /** Lifts the user's block; emits whether there was one. */
    Mono<Boolean> unblock(String appid, String openid);

    /** How long the user's block has left; empty when the user is not blocked. */
    Mono<Duration> blockedFor(String appid, String openid);
}
