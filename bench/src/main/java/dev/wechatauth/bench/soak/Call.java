package dev.wechatauth.bench.soak;

/**
 * One request the soak sent, as answered.
 *
 * @param start when it was sent ({@link System#nanoTime()})
 * @param end when its answer (or failure) came
 * @param kind what it was
 * @param instance the gateway instance it went to (0: A, 1: B)
 * @param status the HTTP status, 0 when no answer came (connection refused, reset, time-out)
 * @param error the gateway's error code ({@code "error"} of its JSON answer), the failure without an answer, or
 *     {@code ""}
 * @param token the session the request carried ({@link Sessions} id), -1 for none
 */
record Call(long start, long end, Kind kind, int instance, int status, String error, int token) {

    /** What a request was for. */
    enum Kind {
        /** {@code POST /wx/login} with a new code. */
        LOGIN,
        /** {@code GET /api/soak} on the required route with a random live token. */
        REQUIRED,
        /** {@code GET /wx/sessions} with a random live token. */
        LISTING,
        /** {@code POST /wx/logout}. */
        LOGOUT,
        /** The required route with a token being logged out: before (on the other instance) and after its logout. */
        LOGOUT_PROBE,
        /** After the traffic: every session checked once more on both instances. */
        CHECK
    }

    /** The answer the request's kind expects: 200, or 204 for a logout. */
    boolean ok() {
        return status == (kind == Kind.LOGOUT ? 204 : 200);
    }

    /**
     * An error answer: no answer or a 5xx, whatever the kind; for logins, required-route requests, listings and
     * logouts also any answer other than the expected one. (A logout probe's 200 or 401 and a check's verdict are
     * measured apart: propagation time, lost sessions.)
     */
    boolean failed() {
        if (status == 0 || status >= 500) {
            return true;
        }
        return switch (kind) {
            case LOGIN, REQUIRED, LISTING, LOGOUT -> !ok();
            case LOGOUT_PROBE, CHECK -> false;
        };
    }

    /** Whether the request was in flight at some moment of [from, to]. */
    boolean overlaps(long from, long to) {
        return start <= to && end >= from;
    }

    static String instanceName(int instance) {
        return instance == 0 ? "A" : "B";
    }
}
