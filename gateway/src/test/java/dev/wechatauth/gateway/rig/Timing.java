package dev.wechatauth.gateway.rig;

import java.time.Duration;

/**
 * How tests hold the gateway to a bound in time. The CI machine has two cores shared with other builds, and a JVM on
 * it can stall for seconds; so where the contract names a bound ("within one second", "at the timeout"), a test
 * asserts the outcome and its order, and the time only with {@link #CI_MARGIN} on top: enough to tell an answer at the
 * bound from a hang or from waiting for something that should not have been waited for. The real figures are
 * measured by {@code bench/}, and by the fault and topology reports, which never fail a test on a timing.
 */
public final class Timing {

    /** Added to every bound of the contract a test asserts in wall-clock time. */
    public static final Duration CI_MARGIN = Duration.ofSeconds(5);

    private Timing() {
    }

    /** {@code bound} plus {@link #CI_MARGIN}. */
    public static Duration generous(Duration bound) {
        return bound.plus(CI_MARGIN);
    }
}
