package dev.wechatauth.plugin.phone;

import dev.wechatauth.plugin.accesstoken.AccessTokens;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.PhoneNumber;
import dev.wechatauth.plugin.wechat.WechatApi;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import reactor.core.publisher.Mono;

/**
 * Turns a phone code into the user's phone number: one getuserphonenumber call with the mini-program's shared
 * access_token, under the phone API's own circuit breaker and in-flight bound; when WeChat refuses the token
 * (40001, 42001), a new token and one more call.
 */
public class PhoneNumbers {

    private final WechatClient wechat;
    private final WechatCallGuard guard;
    private final AccessTokens accessTokens;

    public PhoneNumbers(WechatClient wechat, WechatCallGuard guard, AccessTokens accessTokens) {
        this.wechat = wechat;
        this.guard = guard;
        this.accessTokens = accessTokens;
    }

    /** The phone number of the code, for a user of {@code app}; fails with a {@code GatewayErrorException}. */
    public Mono<PhoneNumber> of(MiniProgram app, String code) {
        return accessTokens.call(app, token -> guard.guard(WechatApi.PHONE, app.appid(),
                () -> wechat.phoneNumber(app.appid(), token, code)));
    }
}
