package dev.wechatauth.gateway.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Http;

/**
 * Steady traffic through the gateway while a fault comes and goes, every exchange recorded as a {@link Sample}.
 * <ul>
 *   <li>{@link #closedLoop}: a few clients, each sending its next request once the last one is answered and a short
 *       think time has passed: two log in again and again, two and one use a token on the required and the optional
 *       route (logging in again when it stops working, as an app would), one calls the public route.</li>
 *   <li>{@link #openLoop}: requests sent at a fixed rate whether or not earlier ones were answered, as a crowd of
 *       users would, so that whatever the gateway queues during a fault keeps growing if it is unbounded.</li>
 * </ul>
 */
final class Traffic {

    /** What a request asks of the gateway. */
    enum Kind { LOGIN, REQUIRED, OPTIONAL, PUBLIC }

    /**
     * One exchange.
     *
     * @param start when it was sent ({@link System#nanoTime()})
     * @param end when its answer (or the failure to get one) arrived
     * @param tokenIssued when the token it carried was issued, 0 when it carried none
     */
    record Sample(Kind kind, long start, long end, Answer reply, long tokenIssued) {

        long latencyMillis() {
            return TimeUnit.NANOSECONDS.toMillis(end - start);
        }
    }

    private final Bench bench;
    private final Queue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Set<CompletableFuture<?>> outstanding = ConcurrentHashMap.newKeySet();
    private final AtomicLong fired = new AtomicLong();
    private ScheduledExecutorService ticker;
    private volatile boolean running;

    private Traffic(Bench bench) {
        this.bench = bench;
    }

    /** Closed-loop clients: 2 logging in, 2 on the required route, 1 on the optional, 1 on the public route. */
    static Traffic closedLoop(Bench bench, Duration think) {
        Traffic traffic = new Traffic(bench);
        traffic.running = true;
        List<Kind> clients = List.of(Kind.LOGIN, Kind.LOGIN, Kind.REQUIRED, Kind.REQUIRED, Kind.OPTIONAL, Kind.PUBLIC);
        for (int i = 0; i < clients.size(); i++) {
            Kind kind = clients.get(i);
            Thread thread = new Thread(() -> traffic.loop(kind, think), "fault-client-" + kind + "-" + i);
            thread.setDaemon(true);
            traffic.threads.add(thread);
        }
        traffic.threads.forEach(Thread::start);
        return traffic;
    }

    /**
     * {@code perSecond} requests a second whatever the answers, cycling login (into {@code appid}), required, public,
     * optional; the token requests use {@code tokens}, issued at {@code tokensIssued}.
     */
    static Traffic openLoop(Bench bench, int perSecond, String appid, List<String> tokens,
            long tokensIssued) {
        Traffic traffic = new Traffic(bench);
        traffic.running = true;
        AtomicLong sequence = new AtomicLong();
        List<Kind> cycle = List.of(Kind.LOGIN, Kind.REQUIRED, Kind.PUBLIC, Kind.OPTIONAL);
        traffic.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "fault-open-loop");
            thread.setDaemon(true);
            return thread;
        });
        traffic.ticker.scheduleAtFixedRate(() -> {
            long n = sequence.getAndIncrement();
            Kind kind = cycle.get((int) (n % cycle.size()));
            String token = tokens.get((int) (n % tokens.size()));
            traffic.fire(kind, appid, token, kind == Kind.REQUIRED || kind == Kind.OPTIONAL ? tokensIssued : 0);
        }, 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
        return traffic;
    }

    /** How many requests the open loop sent; -1 for closed-loop clients, whose every request is a sample. */
    long sent() {
        return ticker == null ? -1 : fired.get();
    }

    /** Every exchange answered so far. */
    List<Sample> snapshot() {
        return List.copyOf(samples);
    }

    /** Stops sending, waits for the answers still due (at most {@code 2 ×} the client's own limit), returns them all. */
    List<Sample> stop() {
        running = false;
        long deadline = System.nanoTime() + 2 * Bench.GIVE_UP_AFTER.toNanos();
        if (ticker != null) {
            ticker.shutdownNow();
            try { // a tick still sending must have registered its answer before the wait below
                ticker.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(interrupted);
            }
        }
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(interrupted);
            }
        }
        for (CompletableFuture<?> pending : List.copyOf(outstanding)) {
            try {
                pending.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception notAnswered) {
                // the sample is missing: reported by the analysis as fewer answers than requests
            }
        }
        return snapshot();
    }

    private void loop(Kind kind, Duration think) {
        Http client = bench.client;
        String token = null;
        long issued = 0;
        while (running) {
            if (kind == Kind.LOGIN) {
                String code = bench.backends.newCode();
                exchange(Kind.LOGIN, () -> client.login(code), 0);
            } else if (kind == Kind.PUBLIC) {
                exchange(Kind.PUBLIC, () -> client.get(Bench.PUBLIC), 0);
            } else if (token == null) {
                String code = bench.backends.newCode();
                Answer login = exchange(Kind.LOGIN, () -> client.login(code), 0);
                if (login.token() != null) {
                    token = login.token();
                    issued = System.nanoTime();
                }
            } else {
                String path = kind == Kind.REQUIRED ? Bench.REQUIRED : Bench.OPTIONAL;
                String bearer = "Authorization: Bearer " + token;
                Answer reply = exchange(kind, () -> client.get(path, bearer), issued);
                if (reply.status() == 401) {
                    token = null; // the session is gone: log in again, as an app would
                }
            }
            Bench.pause(think);
        }
    }

    private Answer exchange(Kind kind, Supplier<Answer> request, long tokenIssued) {
        long start = System.nanoTime();
        Answer reply = request.get();
        samples.add(new Sample(kind, start, System.nanoTime(), reply, tokenIssued));
        return reply;
    }

    private void fire(Kind kind, String appid, String token, long tokenIssued) {
        if (!running) {
            return;
        }
        Http client = bench.client;
        Supplier<Answer> request = switch (kind) {
            case LOGIN -> {
                String code = bench.backends.newCode(appid);
                yield () -> client.loginTo(appid, code);
            }
            case REQUIRED -> () -> client.get(Bench.REQUIRED, "Authorization: Bearer " + token);
            case OPTIONAL -> () -> client.get(Bench.OPTIONAL, "Authorization: Bearer " + token);
            case PUBLIC -> () -> client.get(Bench.PUBLIC);
        };
        long start = System.nanoTime();
        fired.incrementAndGet();
        CompletableFuture<Answer> answer;
        try {
            answer = Http.inBackground(request);
        } catch (RuntimeException refused) { // a periodic task that throws is never run again: record, go on
            samples.add(new Sample(kind, start, System.nanoTime(), Answer.none(refused.toString()), tokenIssued));
            return;
        }
        outstanding.add(answer);
        answer.thenAccept(reply -> {
            samples.add(new Sample(kind, start, System.nanoTime(), reply, tokenIssued));
            outstanding.remove(answer);
        });
    }
}
