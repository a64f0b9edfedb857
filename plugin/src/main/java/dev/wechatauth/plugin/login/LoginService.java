package dev.wechatauth.plugin.login;

import java.util.concurrent.atomic.AtomicBoolean;

import dev.wechatauth.plugin.metrics.LoginMeters;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.WechatApi;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import reactor.core.publisher.Mono;

/**
 * Turns a {@code wx.login} code into a session: a copy of a code seen within the duplicate window gets the first
 * copy's outcome; otherwise one code2Session call to WeChat, guarded by the circuit breaker and the in-flight bound,
 * then a new session in the store. Each outcome is counted by mini-program ({@link LoginMeters}).
 */
public class LoginService {

    private final WechatClient wechat;
    private final WechatCallGuard guard;
    private final SessionStore sessions;
    private final DuplicateLoginWindow duplicates;
    private final LoginMeters meters;

    /** A login service whose outcomes are not counted. */
    public LoginService(WechatClient wechat, WechatCallGuard guard, SessionStore sessions,
            DuplicateLoginWindow duplicates) {
        this(wechat, guard, sessions, duplicates, LoginMeters.unmeasured());
    }

    public LoginService(WechatClient wechat, WechatCallGuard guard, SessionStore sessions,
            DuplicateLoginWindow duplicates, LoginMeters meters) {
        this.wechat = wechat;
        this.guard = guard;
        this.sessions = sessions;
        this.duplicates = duplicates;
        this.meters = meters;
    }

    /**
     * Logs the user of {@code code} into {@code app}; fails with a {@code GatewayErrorException} when that is not
     * possible ({@code user_blocked} for a user an operator blocked, once WeChat has said who it is).
     *
     * @param userAgent the login request's {@code User-Agent}, kept with the session for the user's list of devices
     */
    public Mono<IssuedSession> login(MiniProgram app, String code, String userAgent) {
        String kept = Session.userAgentOf(userAgent);
        return Mono.defer(() -> {
            AtomicBoolean exchangedHere = new AtomicBoolean();
            return duplicates.login(app.appid(), code, receipt -> {
                        exchangedHere.set(true);
                        return guard.guard(WechatApi.CODE2SESSION, app.appid(), () -> wechat.code2Session(app, code))
                                .flatMap(identity -> sessions.create(identity, kept, receipt));
                    })
                    .doOnSuccess(issued -> meters.succeeded(app.appid(), !exchangedHere.get()))
                    .doOnError(failure -> meters.failed(app.appid(), failure));
        });
    }
}
