package dev.wechatauth.gateway.login;

import dev.wechatauth.gateway.config.WechatAuthProperties.App;
import dev.wechatauth.gateway.session.IssuedSession;
import dev.wechatauth.gateway.session.SessionStore;
import dev.wechatauth.gateway.wechat.WechatClient;
import reactor.core.publisher.Mono;

/** Turns a {@code wx.login} code into a session: one code2Session call to WeChat, then a new session in the store. */
public class LoginService {

    private final WechatClient wechat;
    private final SessionStore sessions;

    public LoginService(WechatClient wechat, SessionStore sessions) {
        this.wechat = wechat;
        this.sessions = sessions;
    }

    /** Logs the user of {@code code} into {@code app}; fails with the contract's error when that is not possible. */
    public Mono<IssuedSession> login(App app, String code) {
        return wechat.code2Session(app, code).flatMap(sessions::create);
    }
}
