package dev.wechatauth.gateway.faults;

import static dev.wechatauth.gateway.faults.Traffic.Kind.LOGIN;
import static dev.wechatauth.gateway.faults.Traffic.Kind.OPTIONAL;
import static dev.wechatauth.gateway.faults.Traffic.Kind.REQUIRED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.Reply;
import dev.wechatauth.testkit.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fault injection, the session store: Redis frozen (SIGSTOP, as a stuck or swapping server: connections accepted,
 * nothing answered) and Redis killed (SIGKILL) then started again, empty, on the same port. While it lasts, a login
 * and a token on a {@code required} or {@code optional} route are 503 {@code session_store_unavailable} within the store
 * timeout (1 s) + 500 ms, the public route keeps answering 200, nothing is a 500; within 5 s of Redis being back every
 * kind of request succeeds again. A token issued before a restart of this Redis (it keeps no data) is then 401
 * {@code invalid_token}, and its client logs in again.
 */
class FrozenOrKilledRedisTest {

    private static Bench bench;

    @BeforeAll
    static void bench() {
        bench = Bench.get();
    }

    @AfterEach
    void redisRunsAgain() {
        bench.backends.redis.resume();
        try {
            Resp.command(bench.backends.redis.port(), "PING");
        } catch (RuntimeException gone) {
            bench.backends.redis.restart();
        }
    }

    @AfterAll
    static void printFigures() {
        Figures.print();
    }

    @Test
    void aFrozenRedisIsAnsweredWithinTheStoreTimeoutAndHealsWithinFiveSecondsOfResuming() {
        Scenario.named("Redis frozen (SIGSTOP), then SIGCONT")
                .timeout(Bench.STORE_TIMEOUT)
                .answers(EnumSet.of(LOGIN, REQUIRED, OPTIONAL), "503 session_store_unavailable")
                .servedFromMemoryFor(Bench.CACHE_HEARTBEAT_GRACE)
                .inject(bench.backends.redis::pause)
                .end(bench.backends.redis::resume)
                .run(bench)
                .assertMeetsTheRules();
    }

    @Test
    void aKilledRedisIsAnsweredAtOnceAndHealsWithinFiveSecondsOfItsRestart() {
        Scenario.named("Redis killed (SIGKILL), restarted empty on its port")
                .timeout(Bench.STORE_TIMEOUT)
                .answers(EnumSet.of(LOGIN, REQUIRED, OPTIONAL), "503 session_store_unavailable")
                .servedFromMemoryFor(Bench.CACHE_HEARTBEAT_GRACE)
                .losingSessions()
                .inject(bench.backends.redis::kill)
                .end(bench.backends.redis::restart)
                .run(bench)
                .assertMeetsTheRules();
    }

    /**
     * The one place a login meets Redis after WeChat: the session write. WeChat takes 600 ms; Redis freezes while the
     * login waits for it. The write then waits the store timeout (1 s), so the answer is due 600 ms + 1 s (+ 500 ms)
     * after the request; nothing else should make it wait longer. The figures hold it to that bound; the test, with
     * {@linkplain Timing#CI_MARGIN a margin} for a busy machine.
     */
    @Test
    void aLoginWhoseSessionWriteMeetsAFrozenRedisIsAnsweredOneStoreTimeoutAfterWechat() throws Exception {
        Duration wechatTakes = Duration.ofMillis(600);
        WechatUser user = bench.backends.newUser();
        String code = bench.backends.issueCode(user);
        bench.backends.wechat.script(code, Reply.delayed(wechatTakes, Reply.body(user.code2SessionReply())));
        bench.awaitHealthy(Duration.ofSeconds(15));

        long start = System.nanoTime();
        CompletableFuture<Answer> answer = Http.inBackground(() -> bench.client.login(code));
        await("the login to reach WeChat").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2))
                .until(() -> bench.backends.wechat.calls(code) > 0);
        long frozeAt = System.nanoTime();
        bench.backends.redis.pause();
        Answer reply;
        try {
            reply = answer.get(15, TimeUnit.SECONDS);
        } finally {
            bench.backends.redis.resume();
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Duration bound = wechatTakes.plus(Bench.STORE_TIMEOUT).plus(Bench.SLACK);

        boolean answered = reply.outcome().equals("503 session_store_unavailable");
        Figures.addRow("| Redis frozen while a login waits " + wechatTakes.toMillis() + " ms for WeChat | "
                + "from " + TimeUnit.NANOSECONDS.toMillis(frozeAt - start) + " ms into the login | 1 | "
                + reply.outcome() + " ×1 | " + took + " / – | " + bound.toMillis() + " (WeChat " + wechatTakes.toMillis()
                + " + store 1000 + 500) | – | – | "
                + Figures.result(answered ? List.of() : List.of("answered " + reply.outcome()),
                        took <= bound.toMillis() ? List.of() : List.of("answered in " + took + " ms"))
                + " |");
        assertThat(bench.backends.wechat.calls(code)).as("the login reached WeChat before Redis froze").isEqualTo(1);
        assertThat(reply.outcome()).isEqualTo("503 session_store_unavailable");
        assertThat(took).as("ms to answer a login whose session write met a frozen Redis")
                .isLessThanOrEqualTo(Timing.generous(bound).toMillis());
    }
}
