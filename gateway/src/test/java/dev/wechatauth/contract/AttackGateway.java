package dev.wechatauth.contract;

/**
 * The gateway the attack classes share, on backends of its own: started by the first attack class that asks,
 * stopped when the test JVM exits. Its circuit breaker needs 1000 calls before it may open, so that the WeChat
 * faults some attacks provoke never turn later logins into {@code wechat_unavailable}.
 */
final class AttackGateway {

    private static Backends backends;
    private static GatewayInstance gateway;

    private AttackGateway() {
    }

    static synchronized GatewayInstance get() {
        if (gateway == null) {
            backends = Backends.start();
            gateway = GatewayInstance.start(backends,
                    "wechat.auth.circuit-breaker.window=1000",
                    "wechat.auth.circuit-breaker.minimum-calls=1000");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                gateway.close();
                backends.close();
            }, "attack-gateway-stop"));
        }
        return gateway;
    }
}
