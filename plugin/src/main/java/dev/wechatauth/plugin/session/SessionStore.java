package dev.wechatauth.plugin.session;

import java.time.Duration;

import dev.wechatauth.plugin.wechat.WechatIdentity;
import reactor.core.publisher.Mono;

/**
 * Where sessions live. Every method fails with a {@code GatewayErrorException} of
 * {@code session_store_unavailable} when the store cannot answer; "not found" is an empty result or {@code false},
 * never an error.
 */
public interface SessionStore {

    /** Creates a session for {@code identity} and returns its new token; the user's newest session_key is replaced. */
    Mono<IssuedSession> create(WechatIdentity identity);

    /** The session of {@code token}, its idle timeout renewed; empty when the token is unknown, expired or revoked. */
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

    /** How long a session lives unused. */
    Duration ttl();
}
