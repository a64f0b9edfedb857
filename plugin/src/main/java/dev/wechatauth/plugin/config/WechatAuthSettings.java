package dev.wechatauth.plugin.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.wechatauth.plugin.login.Cidr;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatIdentity;

/**
 * The checked form of {@link WechatAuthProperties}. Building it fails with {@link InvalidSettingsException}, whose
 * one-line message names the property, when no mini-program is configured, an appid is malformed or repeated, a
 * secret is empty or contains white space, or a trusted proxy is not an address block.
 */
public final class WechatAuthSettings {

    private final WechatAuthProperties properties;
    private final MiniPrograms miniPrograms;
    private final List<Cidr> trustedProxies;

    public WechatAuthSettings(WechatAuthProperties properties) {
        this.properties = properties;
        this.miniPrograms = new MiniPrograms(checked(properties.apps()));
        this.trustedProxies = properties.trustedProxies().stream().map(WechatAuthSettings::proxy).toList();
    }

    private static List<MiniProgram> checked(List<MiniProgram> configured) {
        if (configured.isEmpty()) {
            throw new InvalidSettingsException(
                    "wechat.auth.apps is empty: configure at least one mini-program (appid and secret)");
        }
        Set<String> appids = new HashSet<>();
        for (int i = 0; i < configured.size(); i++) {
            MiniProgram app = configured.get(i);
            String name = "wechat.auth.apps[" + i + "]";
            if (app.appid() == null || !WechatIdentity.IDENTIFIER.matcher(app.appid()).matches()) {
                throw new InvalidSettingsException(name + ".appid must match " + WechatIdentity.IDENTIFIER.pattern());
            }
            if (app.secret() == null || app.secret().isEmpty() || app.secret().codePoints().anyMatch(
                    c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))) {
                throw new InvalidSettingsException(name + ".secret must be set and contain no white space");
            }
            if (!appids.add(app.appid())) {
                throw new InvalidSettingsException(name + ".appid repeats " + app.appid());
            }
        }
        return configured;
    }

    private static Cidr proxy(String block) {
        try {
            return Cidr.parse(block);
        } catch (IllegalArgumentException malformed) {
            throw new InvalidSettingsException("wechat.auth.trusted-proxies: " + malformed.getMessage());
        }
    }

    public WechatAuthProperties properties() {
        return properties;
    }

    public MiniPrograms miniPrograms() {
        return miniPrograms;
    }

    public List<Cidr> trustedProxies() {
        return trustedProxies;
    }
}
