package dev.wechatauth.bench.soak;

import java.time.Duration;

/**
 * The numbers of one soak: sessions, request rates per gateway instance, and the phases around the two faults.
 * <pre>
 * sessions made | steady | fault 1: primary killed, restarted | steady | fault 2: failover | steady (tail) | checks
 * </pre>
 *
 * @param sessions sessions made by logins before the traffic starts, and kept about that many (logins = logouts)
 * @param setupConcurrency logins in flight while the sessions are made
 * @param users distinct WeChat users the logins are spread over, round robin (a user holds several sessions, always
 *     fewer than {@code max-per-user}, so that no login ends another session)
 * @param requiredPerSecond requests on the required route per second per instance, each with a random live token
 * @param loginsPerSecond logins per second per instance
 * @param logoutsPerSecond logouts per second per instance (each measured: see {@link Traffic})
 * @param listingsPerSecond {@code GET /wx/sessions} per second per instance
 * @param beforeFaults steady traffic before the first fault
 * @param primaryDown how long the killed primary stays down in fault 1 (well within {@code downAfter})
 * @param betweenFaults steady traffic between the faults
 * @param tail steady traffic after the second fault
 * @param downAfter the sentinels' {@code down-after-milliseconds}
 * @param sampleEvery heap and RSS sampling period
 * @param fullGcEvery period of the forced full GCs that give heap after GC
 * @param faultMargin how long after a fault's recovery errors still count as the fault's
 */
record SoakPlan(String name, int sessions, int setupConcurrency, int users, double requiredPerSecond, double loginsPerSecond,
        double logoutsPerSecond, double listingsPerSecond, Duration beforeFaults, Duration primaryDown,
        Duration betweenFaults, Duration tail, Duration downAfter, Duration sampleEvery, Duration fullGcEvery,
        Duration faultMargin) {

    /** The soak itself: about 5.5 minutes of traffic, within bench/soak's 10 minutes with the build and the checks. */
    static SoakPlan full() {
        return new SoakPlan("full", 10_000, 128, 5_000, 300, 10, 10, 10, Duration.ofSeconds(90), Duration.ofSeconds(2),
                Duration.ofSeconds(100), Duration.ofSeconds(120), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(30), Duration.ofSeconds(3));
    }

    /** A short run with small numbers, to check that the soak works (about a minute of traffic). */
    static SoakPlan smoke() {
        return new SoakPlan("smoke", 1_000, 16, 500, 50, 3, 3, 3, Duration.ofSeconds(20), Duration.ofSeconds(2),
                Duration.ofSeconds(15), Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofSeconds(2),
                Duration.ofSeconds(8), Duration.ofSeconds(3));
    }

    boolean smokeRun() {
        return name.equals("smoke");
    }
}
