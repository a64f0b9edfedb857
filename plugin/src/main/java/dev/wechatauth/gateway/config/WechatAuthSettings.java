package dev.wechatauth.gateway.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import dev.wechatauth.gateway.config.WechatAuthProperties.App;

/**
 * The checked form of {@link WechatAuthProperties}: the configured mini-programs by appid. Building it fails with
 * {@link InvalidSettingsException} when no app is configured, an appid is malformed or repeated, or a secret is
 * empty or contains white space.
 */
public final class WechatAuthSettings {

    /** What WeChat identifiers (appid, openid, unionid) must look like before they are stored or sent. */
    public static final Pattern IDENTIFIER = Pattern.compile("^[A-Za-z0-9_-]{1,64}$");

    private final WechatAuthProperties properties;
    private final Map<String, App> apps;

    public WechatAuthSettings(WechatAuthProperties properties) {
        this.properties = properties;
        this.apps = checkedApps(properties.apps());
    }

    private static Map<String, App> checkedApps(List<App> configured) {
        if (configured.isEmpty()) {
            throw new InvalidSettingsException(
                    "wechat.auth.apps is empty: configure at least one mini-program (appid and secret)");
        }
        Map<String, App> byAppid = new LinkedHashMap<>();
        for (int i = 0; i < configured.size(); i++) {
            App app = configured.get(i);
            String name = "wechat.auth.apps[" + i + "]";
            if (app.appid() == null || !IDENTIFIER.matcher(app.appid()).matches()) {
                throw new InvalidSettingsException(name + ".appid must match " + IDENTIFIER.pattern());
            }
            if (app.secret() == null || app.secret().isEmpty() || app.secret().codePoints().anyMatch(
                    c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))) {
                throw new InvalidSettingsException(name + ".secret must be set and contain no white space");
            }
            if (byAppid.putIfAbsent(app.appid(), app) != null) {
                throw new InvalidSettingsException(name + ".appid repeats " + app.appid());
            }
        }
        return Map.copyOf(byAppid);
    }

    public WechatAuthProperties properties() {
        return properties;
    }

    /** The default mini-program: the first configured. */
    public App defaultApp() {
        return properties.apps().get(0);
    }

    /** The configured mini-program with this appid, if any. */
    public Optional<App> app(String appid) {
        return Optional.ofNullable(apps.get(appid));
    }
}
