package dev.wechatauth.gateway.session;

import java.time.Duration;

import dev.wechatauth.gateway.wechat.WechatIdentity;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Where sessions live. Every method fails with a {@code GatewayErrorException} of
 * {@code session_store_unavailable} when the store cannot answer; "not found" is an empty result, never an error.
 */
public interface SessionStore {

    /** Creates a session for {@code identity} and returns its new token; the user's newest session_key is replaced. */
    Mono<IssuedSession> create(WechatIdentity identity);

    /** The session of {@code token}, its idle timeout renewed; empty when the token is unknown, expired or revoked. */
    Mono<Session> find(String token);

    /**
     * Renews the idle timeout of the session of {@code token}, last seen as {@code session}, without reading it again;
     * emits whether the store still has it. By default a {@link #find(String)}.
     */
    default Mono<Boolean> renew(String token, Session session) {
        return find(token).hasElement();
    }

    /** Ends the session of {@code token} at once; emits whether there was one. */
    Mono<Boolean> delete(String token);

    /** The ids (token hashes) of the user's live sessions. */
    Flux<String> sessionIds(String appid, String openid);

    /** Ends every session of the user; emits how many there were. */
    Mono<Long> deleteAll(String appid, String openid);

    /** The newest session_key WeChat gave for the user, if the store still has one. */
    Mono<String> sessionKey(String appid, String openid);

    /** How long a session lives unused. */
    Duration ttl();
}
