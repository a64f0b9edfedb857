package dev.wechatauth.plugin.wechat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The mini-programs the gateway serves, by appid; the first is the default one. */
public final class MiniPrograms {

    private final MiniProgram defaultApp;
    private final Map<String, MiniProgram> byAppid;
    private final List<String> appids;

    /** @param apps at least one, each appid once (checked by the caller, which knows where they were configured) */
    public MiniPrograms(List<MiniProgram> apps) {
        if (apps.isEmpty()) {
            throw new IllegalArgumentException("at least one mini-program is needed");
        }
        Map<String, MiniProgram> map = new LinkedHashMap<>();
        apps.forEach(app -> map.put(app.appid(), app));
        this.defaultApp = apps.get(0);
        this.byAppid = Map.copyOf(map);
        this.appids = List.copyOf(map.keySet());
    }

    /** The default mini-program: the first configured. */
    public MiniProgram defaultApp() {
        return defaultApp;
    }

    /** The mini-program with this appid, if it is served. */
    public Optional<MiniProgram> app(String appid) {
        return Optional.ofNullable(byAppid.get(appid));
    }

    /** Every appid served, in the order configured. */
    public List<String> appids() {
        return List.copyOf(appids);
    }

    /** Every AppSecret, to keep them out of log lines. */
    public List<String> secrets() {
        return byAppid.values().stream().map(MiniProgram::secret).toList();
    }
}
