package dev.wechatauth.plugin.support;

import java.time.Duration;
import java.util.List;

import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.UserSession;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import reactor.core.publisher.Mono;

/** A store of one's own that keeps nothing and answers every lookup at once: no session is known. */
public final class EmptySessionStore implements SessionStore {

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity, String userAgent) {
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
    public Duration expiresIn(Session session) {
        return Duration.ofDays(7);
    }

    @Override
    public Mono<List<UserSession>> sessionsOf(String appid, String openid) {
        return Mono.just(List.of());
    }

    @Override
    public Mono<Boolean> end(String appid, String openid, String id) {
        return Mono.just(false);
    }

    @Override
    public Mono<Integer> endAll(String appid, String openid) {
        return Mono.just(0);
    }

    @Override
    public Mono<Void> block(String appid, String openid, Duration duration) {
        return Mono.empty();
    }

    @Override
    public Mono<Boolean> unblock(String appid, String openid) {
        return Mono.just(false);
    }

    @Override
    public Mono<Duration> blockedFor(String appid, String openid) {
        return Mono.empty();
    }
}
