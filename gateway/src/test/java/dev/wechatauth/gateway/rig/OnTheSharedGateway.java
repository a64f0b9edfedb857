package dev.wechatauth.gateway.rig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test class whose tests run on the {@linkplain Gateways#shared() shared gateway}: {@link #gateway}, its
 * {@link #backends} and a {@link #user} logged in with its {@link #token} are set before the class's own
 * {@code @BeforeAll}, and every test starts with the echo's requests and WeChat's call counters forgotten.
 */
public abstract class OnTheSharedGateway {

    protected static InProcessGateway gateway;
    protected static Backends backends;
    /** A user of the first mini-program, with a unionid, logged in once for the test class. */
    protected static WechatUser user;
    /** The token of {@link #user}'s session. */
    protected static String token;

    @BeforeAll
    static void useTheSharedGateway() {
        gateway = Gateways.shared();
        backends = gateway.backends();
        user = backends.newUser();
        token = gateway.tokenFor(user);
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.forgetRequests();
    }
}
