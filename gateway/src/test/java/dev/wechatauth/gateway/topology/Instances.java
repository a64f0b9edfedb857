package dev.wechatauth.gateway.topology;

import java.util.Map;

import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.InProcessGateway;

/** Two gateway instances, {@code A} and {@code B}, on one set of backends. */
record Instances(Backends backends, InProcessGateway a, InProcessGateway b) implements AutoCloseable {

    /** Backends on the session store {@code storeProperties} names, and two gateways of a topology test on them. */
    static Instances onStore(Map<String, String> storeProperties) {
        Backends backends = Backends.onStore(storeProperties);
        return new Instances(backends, launcher("A", backends).start(), launcher("B", backends).start());
    }

    /**
     * A gateway of a topology test: WeChat calls bounded by 2 s rather than the rig's 1 s, so that steady traffic on a
     * busy machine does not run into it, and the gateway's own log lines at INFO, not DEBUG, under that traffic.
     */
    static GatewayLauncher launcher(String name, Backends backends) {
        return GatewayLauncher.on(backends).named(name)
                .with("wechat.auth.timeout=2s", "logging.level.dev.wechatauth=INFO");
    }

    /** Closes each of {@code closeables} that is there, whatever the others do (after a test class, best effort). */
    static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable closeable : closeables) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(a, b, backends);
    }
}
