package dev.wechatauth.bench.soak;

/**
 * A fault the soak made, and the time in which errors count as its own.
 *
 * @param name {@code fault 1}, {@code fault 2}
 * @param what what was done, in words
 * @param start just before the fault ({@link System#nanoTime()})
 * @param recovered when Redis served again: the killed primary answering again, or the sentinels agreeing on the
 *     promoted replica
 * @param end {@code recovered} plus the allowed margin (Lettuce reconnecting, the invalidation subscription)
 */
record FaultWindow(String name, String what, long start, long recovered, long end) {

    boolean covers(Call call) {
        return call.overlaps(start, end);
    }
}
