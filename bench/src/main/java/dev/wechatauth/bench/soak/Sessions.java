package dev.wechatauth.bench.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every session the soak made, by id, and what became of it: the live ones (the pool that requests pick from at
 * random), the ones being logged out, and the ones a logout ended ({@code 204}). It remembers the first time each
 * session was answered 200 and every 401 it got while live, so that a session lost without a logout is seen when it
 * happens. Thread-safe (one lock: a few thousand operations a second).
 */
final class Sessions {

    /** What became of a session. */
    enum State {
        /** In the pool, where requests pick it (or just taken out of it for a logout not sent yet). */
        LIVE,
        /** Its logout was sent; the answer is not in yet, or was not 204. */
        LOGGING_OUT,
        /** A logout answered 204. */
        LOGGED_OUT
    }

    /** A 401 answered to a live session that had been answered 200 before: lost, unless it works again later. */
    record Rejection(int token, long at, int instance) {
    }

    private final List<String> tokens = new ArrayList<>();
    private final List<State> states = new ArrayList<>();
    private final List<Long> firstOk = new ArrayList<>();
    private final List<Integer> pool = new ArrayList<>();
    /** Where each session is in {@link #pool}, -1 when not there. */
    private final List<Integer> poolIndex = new ArrayList<>();
    private final List<Rejection> rejections = new ArrayList<>();

    /** Adds a session a login just made; returns its id. */
    synchronized int add(String token) {
        int id = tokens.size();
        tokens.add(token);
        states.add(State.LIVE);
        firstOk.add(0L);
        poolIndex.add(pool.size());
        pool.add(id);
        return id;
    }

    synchronized String token(int id) {
        return tokens.get(id);
    }

    synchronized State state(int id) {
        return states.get(id);
    }

    /** A random live session's id, -1 if there is none. */
    synchronized int randomLive() {
        return pool.isEmpty() ? -1 : pool.get(ThreadLocalRandom.current().nextInt(pool.size()));
    }

    /**
     * Takes a random live session out of the pool for a logout (it stays {@link State#LIVE} until
     * {@link #loggingOut}); -1 if there is none.
     */
    synchronized int takeForLogout() {
        int id = randomLive();
        if (id >= 0) {
            removeFromPool(id);
        }
        return id;
    }

    /** The logout of session {@code id} is being sent: a 401 from now on is no loss. */
    synchronized void loggingOut(int id) {
        states.set(id, State.LOGGING_OUT);
    }

    synchronized void loggedOut(int id) {
        states.set(id, State.LOGGED_OUT);
    }

    /** Notes the answer of a request that carried session {@code id}: its first 200, and a 401 to it while live. */
    synchronized void answered(int id, int status, long at, int instance) {
        if (status == 200 && firstOk.get(id) == 0L) {
            firstOk.set(id, at);
        } else if (status == 401 && states.get(id) == State.LIVE && firstOk.get(id) != 0L) {
            rejections.add(new Rejection(id, at, instance));
        }
    }

    /** Whether session {@code id} was ever answered 200. */
    synchronized boolean answeredOk(int id) {
        return firstOk.get(id) != 0L;
    }

    synchronized int live() {
        return pool.size();
    }

    synchronized int count() {
        return tokens.size();
    }

    /** The ids of the sessions in a state. */
    synchronized List<Integer> inState(State state) {
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < states.size(); id++) {
            if (states.get(id) == state) {
                ids.add(id);
            }
        }
        return ids;
    }

    synchronized List<Rejection> rejections() {
        return List.copyOf(rejections);
    }

    private void removeFromPool(int id) {
        int index = poolIndex.get(id);
        int last = pool.remove(pool.size() - 1);
        if (last != id) {
            pool.set(index, last);
            poolIndex.set(last, index);
        }
        poolIndex.set(id, -1);
    }
}
