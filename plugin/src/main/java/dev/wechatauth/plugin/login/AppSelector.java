package dev.wechatauth.plugin.login;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import org.springframework.http.HttpHeaders;

/**
 * Chooses the mini-program a login is for: the {@code appid} of the body when given (it must be configured);
 * else the one named by a {@code Referer: https://servicewechat.com/{appid}/…} header, which {@code wx.request}
 * sends, when that app is configured; else the first configured app.
 */
public class AppSelector {

    private static final String MINI_PROGRAM_REFERER = "https://servicewechat.com/";

    private final MiniPrograms apps;

    public AppSelector(MiniPrograms apps) {
        this.apps = apps;
    }

    public MiniProgram select(LoginRequest request, HttpHeaders headers) {
        if (request.appid() != null) {
            return apps.app(request.appid()).orElseThrow(() -> new GatewayErrorException(GatewayError.UNKNOWN_APP));
        }
        String referer = headers.getFirst(HttpHeaders.REFERER);
        if (referer != null && referer.startsWith(MINI_PROGRAM_REFERER)) {
            int start = MINI_PROGRAM_REFERER.length();
            int end = referer.indexOf('/', start);
            if (end > start) {
                return apps.app(referer.substring(start, end)).orElseGet(apps::defaultApp);
            }
        }
        return apps.defaultApp();
    }
}
