package dev.wechatauth.gateway.support;

import java.time.Duration;

import dev.wechatauth.gateway.session.IssuedSession;
import dev.wechatauth.gateway.session.Session;
import dev.wechatauth.gateway.session.SessionStore;
import dev.wechatauth.gateway.wechat.WechatIdentity;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A store of one's own that keeps nothing and answers every lookup at once: no session is known. */
public final class EmptySessionStore implements SessionStore {

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity) {
        return Mono.empty();
    }

    @Override
    public Mono<Session> find(String token) {
        return Mono.empty();
    }

    @Override
    public Mono<Boolean> delete(String token) {
        return Mono.just(false);
    }

    @Override
    public Flux<String> sessionIds(String appid, String openid) {
        return Flux.empty();
    }

    @Override
    public Mono<Long> deleteAll(String appid, String openid) {
        return Mono.just(0L);
    }

    @Override
    public Mono<String> sessionKey(String appid, String openid) {
        return Mono.empty();
    }

    @Override
    public Duration ttl() {
        return Duration.ofDays(7);
    }
}
