package dev.wechatauth.contract;

/**
 * The gateway most contract classes share, with its backends: started by the first class that asks, stopped when
 * the test JVM exits. Classes that change WeChat's behaviour for a whole instance, stop Redis or need other
 * settings start their own.
 */
final class SharedGateway {

    private static Backends backends;
    private static GatewayInstance gateway;

    private SharedGateway() {
    }

    static synchronized GatewayInstance get() {
        if (gateway == null) {
            backends = Backends.start();
            gateway = GatewayInstance.start(backends);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                gateway.close();
                backends.close();
            }, "contract-shared-gateway-stop"));
        }
        return gateway;
    }
}
