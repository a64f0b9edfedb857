package dev.wechatauth.plugin.support;

import java.time.Duration;

import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.wechat.WechatIdentity;
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
    public Mono<String> newestSessionKey(String appid, String openid) {
        return Mono.empty();
    }

    @Override
    public Mono<Boolean> delete(String token) {
        return Mono.just(false);
    }

    @Override
    public Mono<Boolean> renew(String token, Session session) {
        return Mono.just(false);
    }

    @Override
    public Duration ttl() {
        return Duration.ofDays(7);
    }
}
