package dev.wechatauth.contract;

import java.net.http.HttpRequest;
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
final class FaultTraffic {

    /** What a request asks of the gateway. */
    enum Kind { LOGIN, REQUIRED, OPTIONAL, PUBLIC }

    /**
     * One exchange.
     *
     * @param start when it was sent ({@link System#nanoTime()})
     * @param end when its answer (or the failure to get one) arrived
     * @param tokenIssued when the token it carried was issued, 0 when it carried none
     */
    record Sample(Kind kind, long start, long end, FaultClient.Reply reply, long tokenIssued) {

        long latencyMillis() {
            return TimeUnit.NANOSECONDS.toMillis(end - start);
        }
    }

    private final FaultBench bench;
    private final Queue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Set<CompletableFuture<?>> outstanding = ConcurrentHashMap.newKeySet();
    private final AtomicLong fired = new AtomicLong();
    private ScheduledExecutorService ticker;
    private volatile boolean running;

    private FaultTraffic(FaultBench bench) {
        this.bench = bench;
    }

    /** Closed-loop clients: 2 logging in, 2 on the required route, 1 on the optional, 1 on the public route. */
    static FaultTraffic closedLoop(FaultBench bench, Duration think) {
        FaultTraffic traffic = new FaultTraffic(bench);
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
    static FaultTraffic openLoop(FaultBench bench, int perSecond, String appid, List<String> tokens,
            long tokensIssued) {
        FaultTraffic traffic = new FaultTraffic(bench);
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
        long deadline = System.nanoTime() + 2 * FaultClient.GIVE_UP_AFTER.toNanos();
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
        String token = null;
        long issued = 0;
        while (running) {
            if (kind == Kind.LOGIN) {
                exchange(Kind.LOGIN, bench.client.login(bench.newCode(), null), 0);
            } else if (kind == Kind.PUBLIC) {
                exchange(Kind.PUBLIC, bench.client.get(FaultBench.PUBLIC, null), 0);
            } else if (token == null) {
                FaultClient.Reply login = exchange(Kind.LOGIN, bench.client.login(bench.newCode(), null), 0);
                if (login.status() == 200 && login.token() != null) {
                    token = login.token();
                    issued = System.nanoTime();
                }
            } else {
                String path = kind == Kind.REQUIRED ? FaultBench.REQUIRED : FaultBench.OPTIONAL;
                FaultClient.Reply reply = exchange(kind, bench.client.get(path, token), issued);
                if (reply.status() == 401) {
                    token = null; // the session is gone: log in again, as an app would
                }
            }
            FaultBench.pause(think);
        }
    }

    private FaultClient.Reply exchange(Kind kind, HttpRequest request, long tokenIssued) {
        long start = System.nanoTime();
        FaultClient.Reply reply = bench.client.send(request);
        samples.add(new Sample(kind, start, System.nanoTime(), reply, tokenIssued));
        return reply;
    }

    private void fire(Kind kind, String appid, String token, long tokenIssued) {
        if (!running) {
            return;
        }
        HttpRequest request = switch (kind) {
            case LOGIN -> bench.client.login(bench.newCode(appid), appid);
            case REQUIRED -> bench.client.get(FaultBench.REQUIRED, token);
            case OPTIONAL -> bench.client.get(FaultBench.OPTIONAL, token);
            case PUBLIC -> bench.client.get(FaultBench.PUBLIC, null);
        };
        long start = System.nanoTime();
        fired.incrementAndGet();
        CompletableFuture<FaultClient.Reply> answer;
        try {
            answer = bench.client.sendAsync(request);
        } catch (RuntimeException refused) { // a periodic task that throws is never run again: record, go on
            samples.add(new Sample(kind, start, System.nanoTime(),
                    new FaultClient.Reply(-1, null, null, refused.toString(), false), tokenIssued));
            return;
        }
        outstanding.add(answer);
        answer.thenAccept(reply -> {
            samples.add(new Sample(kind, start, System.nanoTime(), reply, tokenIssued));
            outstanding.remove(answer);
        });
    }
}
