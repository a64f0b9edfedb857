package dev.wechatauth.gateway.login;

import dev.wechatauth.gateway.config.WechatAuthProperties.App;
import dev.wechatauth.gateway.config.WechatAuthSettings;
import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.error.GatewayErrorException;
import org.springframework.http.HttpHeaders;

/**
 * Chooses the mini-program a login is for: the {@code appid} of the body when given (it must be configured);
 * else the one named by a {@code Referer: https://servicewechat.com/{appid}/…} header, which {@code wx.request}
 * sends, when that app is configured; else the first configured app.
 */
public class AppSelector {

    private static final String MINI_PROGRAM_REFERER = "https://servicewechat.com/";

    private final WechatAuthSettings settings;

    public AppSelector(WechatAuthSettings settings) {
        this.settings = settings;
    }

    public App select(LoginRequest request, HttpHeaders headers) {
        if (request.appid() != null) {
            return settings.app(request.appid()).orElseThrow(() -> new GatewayErrorException(GatewayError.UNKNOWN_APP));
        }
        String referer = headers.getFirst(HttpHeaders.REFERER);
        if (referer != null && referer.startsWith(MINI_PROGRAM_REFERER)) {
            int start = MINI_PROGRAM_REFERER.length();
            int end = referer.indexOf('/', start);
            if (end > start) {
                return settings.app(referer.substring(start, end)).orElseGet(settings::defaultApp);
            }
        }
        return settings.defaultApp();
    }
}
