package dev.wechatauth.testkit;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polls a condition every {@link #INTERVAL} until it holds or time is up. */
final class Poll {

    static final Duration INTERVAL = Duration.ofMillis(50);

    /** Thrown by a probe to say why the condition does not hold yet; its message ends up in the timeout error. */
    static final class NotYet extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotYet(String why) {
            super(why, null, false, false);
        }
    }

    /** Thrown by a probe to stop polling at once; {@link #until} throws its cause. */
    static final class GiveUp extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GiveUp(RuntimeException cause) {
            super(cause);
        }
    }

    private Poll() {
    }

    /**
     * Calls {@code probe} until it returns non-null (which is returned) or {@code max} has passed. A probe that throws
     * or returns null means "not yet"; the last exception is reported in the {@link IllegalStateException} thrown on
     * timeout. A probe throwing {@link GiveUp} ends the polling with that exception's cause.
     */
    static <T> T until(Duration max, String what, Callable<T> probe) {
        long deadline = System.nanoTime() + max.toNanos();
        Exception last = null;
        while (true) {
            try {
                T result = probe.call();
                if (result != null) {
                    return result;
                }
            } catch (GiveUp e) {
                throw (RuntimeException) e.getCause();
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                String why = last == null ? "" : ": last " + (last instanceof NotYet ? "state: " : "failure: ") + last.getMessage();
                IllegalStateException timeout = new IllegalStateException("timed out after " + max.toMillis() + " ms waiting for "
                        + what + why);
                if (last != null && !(last instanceof NotYet)) {
                    timeout.initCause(last);
                }
                throw timeout;
            }
            sleep();
        }
    }

    static void sleep() {
        try {
            Thread.sleep(INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while polling", e);
        }
    }
}
