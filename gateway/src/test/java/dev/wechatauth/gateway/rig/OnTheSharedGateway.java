package dev.wechatauth.gateway.rig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test class whose tests run on the {@linkplain Gateways#shared() shared gateway}: {@link #gateway} and its
 * {@link #backends} are set before the class's own {@code @BeforeAll}, and every test starts with the echo's requests
 * and WeChat's call counters forgotten.
 */
public abstract class OnTheSharedGateway {

    protected static InProcessGateway gateway;
    protected static Backends backends;

    @BeforeAll
    static void useTheSharedGateway() {
        gateway = Gateways.shared();
        backends = gateway.backends();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.forgetRequests();
    }
}
