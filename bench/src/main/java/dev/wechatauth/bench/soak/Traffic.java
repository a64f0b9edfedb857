package dev.wechatauth.bench.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.bench.soak.Call.Kind;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The soak's load, open loop: every 10 ms it sends what the rates call for, to each instance, whatever the answers
 * (a gateway that stalls gets more requests in flight, not fewer). Kinds ({@link Kind}): logins with new codes (each
 * success adds a session), required-route requests and session listings with a random live session, and logouts.
 * Every request is recorded ({@link Call}).
 *
 * <p>A logout measures its propagation: the session is first used on the other instance (so that instance has it in
 * memory), then logged out on this one, which must refuse it at once; then the other instance is asked every
 * {@value #PROBE_EVERY_MS} ms until it answers 401 (for at most {@value #PROBE_FOR_MS} ms).
 */
final class Traffic implements AutoCloseable {

    static final String REQUIRED_PATH = "/api/soak";
    static final String LOGIN_PATH = "/wx/login";
    static final String LOGOUT_PATH = "/wx/logout";
    static final String SESSIONS_PATH = "/wx/sessions";
    private static final long PROBE_EVERY_MS = 20;
    private static final long PROBE_FOR_MS = 5000;
    private static final Duration TICK = Duration.ofMillis(10);
    private static final int MAX_IN_FLIGHT = 4000;
    private static final int CHECK_CONCURRENCY = 64;
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]+)\"");

    /**
     * One logout and what followed.
     *
     * @param answered when the logout answered 204
     * @param instance where it was logged out (0: A, 1: B)
     * @param statusRightAfter what the same instance answered right after (401 expected; 200 would mean the logout
     *     did not take effect at once there)
     * @param propagation from the logout's answer to the other instance's first 401; null if not measured (the
     *     session could not be used on the other instance first) or not seen within the probing time
     * @param measured whether the propagation was measured (the other instance had answered 200 before)
     */
    record Logout(long answered, int instance, int statusRightAfter, Duration propagation, boolean measured) {
    }

    /** What checking every session after the traffic found. */
    record Checked(int made, int live, int working, List<Integer> lost, Map<Integer, String> inconsistent,
            int loggedOut, List<Integer> resurrected, int unconfirmedLogouts) {
    }

    private record Answer(int status, String body) {
    }

    private final List<HttpClient> clients = new ArrayList<>();
    private final ConnectionProvider connections;
    private final Sessions sessions;
    private final SoakPlan plan;
    private final String codePrefix;
    private final List<Call> calls = new ArrayList<>();
    private final List<Logout> logouts = new ArrayList<>();
    private final AtomicLong logins = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong skipped = new AtomicLong();
    private final Map<String, AtomicInteger> setupAnswers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "soak-traffic");
        thread.setDaemon(true);
        return thread;
    });
    private final double[][] owed;
    private volatile boolean recording = true;
    private long lastTick;

    Traffic(List<GatewayInstance> gateways, Sessions sessions, SoakPlan plan, String codePrefix) {
        this.connections = ConnectionProvider.builder("soak").maxConnections(1000).pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(Duration.ofSeconds(30)).build();
        for (GatewayInstance gateway : gateways) {
            clients.add(HttpClient.create(connections).baseUrl(gateway.baseUrl())
                    .responseTimeout(Duration.ofSeconds(10)));
        }
        this.sessions = sessions;
        this.plan = plan;
        this.codePrefix = codePrefix;
        this.owed = new double[gateways.size()][4];
    }

    // ---- before the traffic ----

    /**
     * Makes {@code count} sessions by logins at {@code concurrency}, half on each instance, logging in again for those
     * that failed (a cold or busy gateway may answer 503 at first) until there are {@code count} or {@code within} has
     * passed; then fails if there are fewer.
     */
    void makeSessions(int count, int concurrency, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (sessions.live() < count && System.nanoTime() < deadline) {
            Flux.range(0, count - sessions.live())
                    .flatMap(i -> send(i % clients.size(), newLoginCode())
                            .doOnNext(answer -> {
                                setupAnswers.computeIfAbsent(Integer.toString(answer.status()),
                                        s -> new AtomicInteger()).incrementAndGet();
                                String token = token(answer);
                                if (token != null) {
                                    sessions.add(token);
                                }
                            }), concurrency)
                    .then().block(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
        if (sessions.live() < count) {
            throw new IllegalStateException("only " + sessions.live() + " of " + count + " logins succeeded: "
                    + setupAnswers());
        }
    }

    /** The answers of {@link #makeSessions} by status. */
    Map<String, Integer> setupAnswers() {
        Map<String, Integer> answers = new TreeMap<>();
        setupAnswers.forEach((status, n) -> answers.put(status, n.get()));
        return answers;
    }

    // ---- the traffic ----

    void start() {
        lastTick = System.nanoTime();
        ticker.scheduleAtFixedRate(this::tick, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops sending, and waits (at most {@code drain}) for what is in flight. */
    void stop(Duration drain) {
        ticker.shutdown();
        try {
            ticker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            GatewayInstance.sleep(Duration.ofMillis(50));
        }
        recording = false;
    }

    private void tick() {
        long now = System.nanoTime();
        double seconds = (now - lastTick) / 1e9;
        lastTick = now;
        double[] rates = {plan.requiredPerSecond(), plan.loginsPerSecond(), plan.logoutsPerSecond(),
                plan.listingsPerSecond()};
        for (int instance = 0; instance < clients.size(); instance++) {
            for (int kind = 0; kind < rates.length; kind++) {
                owed[instance][kind] += rates[kind] * seconds;
                while (owed[instance][kind] >= 1) {
                    owed[instance][kind] -= 1;
                    if (inFlight.get() >= MAX_IN_FLIGHT) {
                        skipped.incrementAndGet();
                        continue;
                    }
                    issue(kind, instance);
                }
            }
        }
    }

    private void issue(int kind, int instance) {
        Mono<?> request = switch (kind) {
            case 0 -> withRandomSession(instance, Kind.REQUIRED, REQUIRED_PATH);
            case 1 -> login(instance);
            case 2 -> logout(instance);
            default -> withRandomSession(instance, Kind.LISTING, SESSIONS_PATH);
        };
        request.subscribe(ignored -> { }, failure -> { });
    }

    private Mono<Answer> withRandomSession(int instance, Kind kind, String path) {
        int id = sessions.randomLive();
        if (id < 0) {
            return Mono.empty();
        }
        return call(kind, instance, id, "GET", path);
    }

    private Mono<Answer> login(int instance) {
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        return send(instance, newLoginCode()).doOnNext(answer -> {
            String token = token(answer);
            int id = token == null ? -1 : sessions.add(token);
            record(new Call(start, System.nanoTime(), Kind.LOGIN, instance, answer.status(), error(answer), id));
        }).doFinally(signal -> inFlight.decrementAndGet());
    }

    private Mono<Logout> logout(int instance) {
        int id = sessions.takeForLogout();
        if (id < 0) {
            return Mono.empty();
        }
        int other = (instance + 1) % clients.size();
        return call(Kind.LOGOUT_PROBE, other, id, "GET", REQUIRED_PATH)
                .doOnNext(before -> sessions.loggingOut(id))
                .flatMap(before -> call(Kind.LOGOUT, instance, id, "POST", LOGOUT_PATH)
                        .filter(answer -> answer.status() == 204)
                        .flatMap(loggedOut -> {
                            long answered = System.nanoTime();
                            sessions.loggedOut(id);
                            return call(Kind.LOGOUT_PROBE, instance, id, "GET", REQUIRED_PATH)
                                    .flatMap(here -> before.status() != 200
                                            ? Mono.just(new Logout(answered, instance, here.status(), null,
                                                    false))
                                            : firstRefusal(other, id, answered + PROBE_FOR_MS * 1_000_000)
                                                    .map(at -> Duration.ofNanos(at - answered))
                                                    .map(took -> new Logout(answered, instance, here.status(),
                                                            took, true))
                                                    .defaultIfEmpty(new Logout(answered, instance, here.status(),
                                                            null, true)));
                        }))
                .doOnNext(this::record);
    }

    /** When {@code instance} first answered 401 to session {@code id}, asking every few ms until {@code until}. */
    private Mono<Long> firstRefusal(int instance, int id, long until) {
        return call(Kind.LOGOUT_PROBE, instance, id, "GET", REQUIRED_PATH).flatMap(answer -> {
            if (answer.status() == 401) {
                return Mono.just(System.nanoTime());
            }
            if (System.nanoTime() > until) {
                return Mono.empty();
            }
            return Mono.delay(Duration.ofMillis(PROBE_EVERY_MS)).then(firstRefusal(instance, id, until));
        });
    }

    /** One request carrying session {@code id}, recorded; its answer also goes to {@link Sessions#answered}. */
    private Mono<Answer> call(Kind kind, int instance, int id, String method, String path) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            inFlight.incrementAndGet();
            String authorization = "Bearer " + sessions.token(id);
            HttpClient client = clients.get(instance).headers(headers -> headers.set(HttpHeaderNames.AUTHORIZATION,
                    authorization));
            HttpClient.ResponseReceiver<?> request = method.equals("POST")
                    ? client.post().uri(path)
                    : client.get().uri(path);
            return receive(request).doOnNext(answer -> {
                long end = System.nanoTime();
                if (kind != Kind.LOGOUT && kind != Kind.CHECK) {
                    sessions.answered(id, answer.status(), end, instance);
                }
                record(new Call(start, end, kind, instance, answer.status(), error(answer), id));
            }).doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    /** A login with {@code code}, not recorded. */
    private Mono<Answer> send(int instance, String code) {
        return receive(clients.get(instance)
                .headers(headers -> headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
                .post().uri(LOGIN_PATH).send(ByteBufFlux.fromString(Mono.just("{\"code\":\"" + code + "\"}"))));
    }

    private static Mono<Answer> receive(HttpClient.ResponseReceiver<?> request) {
        return request.responseSingle((response, body) -> body.asString().defaultIfEmpty("")
                        .map(text -> new Answer(response.status().code(), text)))
                .onErrorResume(failure -> Mono.just(new Answer(0, failureName(failure))));
    }

    /** The new login code: user round robin over {@link SoakPlan#users()}, a new device each time. */
    private String newLoginCode() {
        long n = logins.getAndIncrement();
        return codePrefix + "-u" + (n % plan.users()) + "~" + n;
    }

    // ---- after the traffic ----

    /**
     * Checks every session once more, after the traffic: each live session that had been answered 200 on both
     * instances (200 on both: works; 401 on both: lost; anything else: inconsistent), each logged-out one on one
     * instance (200: the logout did not hold).
     */
    Checked checkSessions(Duration within) {
        recording = true;
        List<Integer> live = sessions.inState(Sessions.State.LIVE).stream().filter(sessions::answeredOk).toList();
        Map<Integer, String> inconsistent = new ConcurrentHashMap<>();
        List<Integer> lost = new ArrayList<>();
        AtomicInteger working = new AtomicInteger();
        Flux.fromIterable(live)
                .flatMap(id -> Flux.range(0, clients.size())
                        .concatMap(instance -> call(Kind.CHECK, instance, id, "GET", REQUIRED_PATH))
                        .map(Answer::status).collectList()
                        .doOnNext(statuses -> {
                            if (statuses.stream().allMatch(status -> status == 200)) {
                                working.incrementAndGet();
                            } else if (statuses.stream().allMatch(status -> status == 401)) {
                                synchronized (lost) {
                                    lost.add(id);
                                }
                            } else {
                                inconsistent.put(id, statuses.toString());
                            }
                        }), CHECK_CONCURRENCY)
                .then().block(within);
        List<Integer> loggedOut = sessions.inState(Sessions.State.LOGGED_OUT);
        List<Integer> resurrected = new ArrayList<>();
        Flux.fromIterable(loggedOut)
                .flatMap(id -> call(Kind.CHECK, id % clients.size(), id, "GET", REQUIRED_PATH)
                        .filter(answer -> answer.status() == 200)
                        .doOnNext(answer -> {
                            synchronized (resurrected) {
                                resurrected.add(id);
                            }
                        }), CHECK_CONCURRENCY)
                .then().block(within);
        recording = false;
        return new Checked(sessions.count(), live.size(), working.get(), List.copyOf(lost), Map.copyOf(inconsistent),
                loggedOut.size(), List.copyOf(resurrected), sessions.inState(Sessions.State.LOGGING_OUT).size());
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    synchronized List<Logout> logouts() {
        return List.copyOf(logouts);
    }

    /** Requests the rates called for but not sent, because {@value #MAX_IN_FLIGHT} were in flight already. */
    long skipped() {
        return skipped.get();
    }

    private synchronized void record(Call call) {
        if (recording) {
            calls.add(call);
        }
    }

    private synchronized void record(Logout logout) {
        logouts.add(logout);
    }

    private static String token(Answer answer) {
        if (answer.status() != 200) {
            return null;
        }
        Matcher token = TOKEN.matcher(answer.body());
        return token.find() ? token.group(1) : null;
    }

    private static String error(Answer answer) {
        if (answer.status() == 0) {
            return answer.body();
        }
        Matcher error = ERROR.matcher(answer.body());
        return error.find() ? error.group(1) : "";
    }

    private static String failureName(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (failure instanceof TimeoutException || cause instanceof TimeoutException
                || failure.getClass().getSimpleName().contains("Timeout")) {
            return "no answer within 10 s";
        }
        return cause.getClass().getSimpleName();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        connections.disposeLater().block(Duration.ofSeconds(5));
    }
}
