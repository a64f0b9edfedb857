package dev.wechatauth.gateway.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.Http;

/**
 * Steady traffic on several gateways at once: a few client threads per gateway, each looping on a login (one call in
 * three) and authenticated requests, with the token of its own last login or with a token issued by any client on any
 * gateway. Every call is recorded: which client and gateway, when it started and ended ({@link System#nanoTime()}),
 * the status ({@code -1} when the client itself failed, e.g. a timeout) and the {@code error} code of the answer.
 */
final class Traffic implements AutoCloseable {

    /**
     * The longest a steady-traffic client waits for one answer; a slower one is recorded as a client-side failure.
     * Every Redis command is bounded by 1 s and a WeChat call by 2 s here, so only a hang gets near it.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    enum Kind { LOGIN, AUTH }

    /**
     * One call as the client saw it.
     *
     * @param token for a login answered 200, the token it issued; for an authenticated request, the token sent
     * @param error the {@code error} field of a JSON error answer, the client's failure for status -1, else null
     */
    record Call(Kind kind, String gateway, int client, long start, long end, int status, String error, String token) {

        boolean ok() {
            return status == 200;
        }

        /** Whether the call was in flight at some moment of [from, to]. */
        boolean overlaps(long from, long to) {
            return end >= from && start <= to;
        }

        String describe(long origin) {
            return String.format("%s on %s (client %d) %+d..%+d ms: %d %s", kind, gateway, client,
                    TimeUnit.NANOSECONDS.toMillis(start - origin), TimeUnit.NANOSECONDS.toMillis(end - origin), status,
                    error == null ? "" : error);
        }
    }

    /** A session a login answered with 200: its token, the gateway that issued it and when the answer arrived. */
    record Issued(String token, String gateway, long answered) {
    }

    private final List<Gateway> gateways;
    private final Backends backends;
    private final int clientsPerGateway;
    private final Duration pause;
    private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    private final List<Issued> issued = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    Traffic(List<? extends Gateway> gateways, Backends backends, int clientsPerGateway, Duration pause) {
        this.gateways = List.copyOf(gateways);
        this.backends = backends;
        this.clientsPerGateway = clientsPerGateway;
        this.pause = pause;
    }

    Traffic start() {
        running = true;
        int client = 0;
        for (Gateway gateway : gateways) {
            for (int i = 0; i < clientsPerGateway; i++) {
                int id = client++;
                Thread thread = new Thread(() -> loop(id, gateway), "topology-client-" + id);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }
        return this;
    }

    private void loop(int client, Gateway gateway) {
        Http http = client(gateway);
        String own = null;
        long iteration = client; // the clients start out of step with each other
        while (running) {
            iteration++;
            if (own == null || iteration % 3 == 0) {
                String code = backends.newCode();
                long start = System.nanoTime();
                Answer answer = http.login(code);
                long end = System.nanoTime();
                String token = answer.token();
                calls.add(new Call(Kind.LOGIN, gateway.name(), client, start, end, answer.status(), errorOf(answer),
                        token));
                if (token != null) {
                    issued.add(new Issued(token, gateway.name(), end));
                    own = token;
                }
            } else {
                String token = own;
                if (iteration % 2 == 0 && !issued.isEmpty()) {
                    token = issued.get(ThreadLocalRandom.current().nextInt(issued.size())).token();
                }
                long start = System.nanoTime();
                Answer answer = http.get(Backends.REQUIRED, "Authorization: Bearer " + token);
                long end = System.nanoTime();
                calls.add(new Call(Kind.AUTH, gateway.name(), client, start, end, answer.status(), errorOf(answer),
                        token));
            }
            if (client == 0 && iteration % 200 == 0) {
                backends.echo.clear(); // the echo keeps every request; nobody reads them here
            }
            sleep(pause);
        }
    }

    /** Stops every client and waits for its last call. */
    void stop() {
        running = false;
        for (Thread thread : threads) {
            try {
                thread.join(TIMEOUT.toMillis() * 2);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Every call so far, by start time. */
    List<Call> calls() {
        List<Call> all = new ArrayList<>(calls);
        all.sort(Comparator.comparingLong(Call::start));
        return all;
    }

    /** Every session issued so far, in order of answer. */
    List<Issued> issued() {
        List<Issued> all = new ArrayList<>(issued);
        all.sort(Comparator.comparingLong(Issued::answered));
        return all;
    }

    /** Adds a session issued outside the loops (by the test itself), so that it is checked like the others. */
    void addIssued(Issued session) {
        issued.add(session);
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Logs a new user in on each gateway at the same moment (one thread each); every login must answer 200. Returns
     * the sessions, in the order of {@code gateways}.
     */
    static List<Issued> loginsAtOnce(List<? extends Gateway> gateways) {
        ExecutorService pool = Executors.newFixedThreadPool(gateways.size());
        try {
            List<Future<Issued>> logins = new ArrayList<>();
            for (Gateway gateway : gateways) {
                logins.add(pool.submit(() -> {
                    String token = gateway.newToken();
                    return new Issued(token, gateway.name(), System.nanoTime());
                }));
            }
            List<Issued> sessions = new ArrayList<>();
            for (Future<Issued> login : logins) {
                sessions.add(login.get());
            }
            return sessions;
        } catch (ExecutionException failed) {
            if (failed.getCause() instanceof AssertionError error) {
                throw error;
            }
            throw new IllegalStateException(failed.getCause());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A client of {@code gateway} for steady traffic: bounded by {@link #TIMEOUT}, a failure recorded, not thrown. */
    static Http client(Gateway gateway) {
        return gateway.http().tolerant().timeout(TIMEOUT);
    }

    /** The {@code error} of an answer, the client's failure for no answer, null for a 200. */
    static String errorOf(Answer answer) {
        if (answer.status() == Answer.NO_ANSWER) {
            return "client: " + answer.failure();
        }
        return answer.status() == 200 ? null : answer.error();
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
