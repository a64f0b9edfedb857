package dev.wechatauth.contract;

import static dev.wechatauth.contract.FaultTraffic.Kind.LOGIN;
import static dev.wechatauth.contract.FaultTraffic.Kind.OPTIONAL;
import static dev.wechatauth.contract.FaultTraffic.Kind.REQUIRED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.wechatauth.testkit.Reply;
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
class FaultRedisTest {

    private static FaultBench bench;

    @BeforeAll
    static void bench() {
        bench = FaultBench.get();
    }

    @AfterEach
    void redisRunsAgain() {
        bench.backends.redis.resume();
        try {
            RedisCli.call(bench.backends.redis.port(), "PING");
        } catch (RuntimeException gone) {
            bench.backends.redis.restart();
        }
    }

    @AfterAll
    static void printFigures() {
        FaultFigures.print();
    }

    @Test
    void aFrozenRedisIsAnsweredWithinTheStoreTimeoutAndHealsWithinFiveSecondsOfResuming() {
        FaultScenario.named("Redis frozen (SIGSTOP), then SIGCONT")
                .timeout(FaultBench.STORE_TIMEOUT)
                .answers(EnumSet.of(LOGIN, REQUIRED, OPTIONAL), "503 session_store_unavailable")
                .servedFromMemoryFor(FaultBench.CACHE_HEARTBEAT_GRACE)
                .inject(bench.backends.redis::pause)
                .end(bench.backends.redis::resume)
                .run(bench)
                .assertMeetsTheIssue();
    }

    @Test
    void aKilledRedisIsAnsweredAtOnceAndHealsWithinFiveSecondsOfItsRestart() {
        FaultScenario.named("Redis killed (SIGKILL), restarted empty on its port")
                .timeout(FaultBench.STORE_TIMEOUT)
                .answers(EnumSet.of(LOGIN, REQUIRED, OPTIONAL), "503 session_store_unavailable")
                .servedFromMemoryFor(FaultBench.CACHE_HEARTBEAT_GRACE)
                .losingSessions()
                .inject(bench::killRedis)
                .end(bench.backends.redis::restart)
                .run(bench)
                .assertMeetsTheIssue();
    }

    /**
     * The one place a login meets Redis after WeChat: the session write. WeChat takes 600 ms; Redis freezes while the
     * login waits for it. The write then waits the store timeout (1 s), so the answer is due 600 ms + 1 s (+ 500 ms)
     * after the request; nothing else should make it wait longer.
     */
    @Test
    void aLoginWhoseSessionWriteMeetsAFrozenRedisIsAnsweredOneStoreTimeoutAfterWechat() throws Exception {
        Duration wechatTakes = Duration.ofMillis(600);
        WechatUser user = bench.backends.newUser();
        String code = bench.backends.issueCode(user);
        bench.backends.wechat.script(code, Reply.delayed(wechatTakes, Reply.body(
                "{\"openid\":\"" + user.openid() + "\",\"session_key\":\"" + user.sessionKey() + "\"}")));
        bench.awaitHealthy(Duration.ofSeconds(15));

        long start = System.nanoTime();
        CompletableFuture<FaultClient.Reply> answer = bench.client.sendAsync(bench.client.login(code, null));
        long deadline = start + TimeUnit.SECONDS.toNanos(5);
        while (bench.backends.wechat.calls(code) == 0 && System.nanoTime() < deadline) {
            FaultBench.pause(Duration.ofMillis(2));
        }
        long frozeAt = System.nanoTime();
        bench.backends.redis.pause();
        FaultClient.Reply reply;
        try {
            reply = answer.get(15, TimeUnit.SECONDS);
        } finally {
            bench.backends.redis.resume();
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long bound = wechatTakes.plus(FaultBench.STORE_TIMEOUT).plus(FaultBench.SLACK).toMillis();

        boolean pass = reply.outcome().equals("503 session_store_unavailable") && took <= bound;
        FaultFigures.addRow("| Redis frozen while a login waits " + wechatTakes.toMillis() + " ms for WeChat | "
                + "from " + TimeUnit.NANOSECONDS.toMillis(frozeAt - start) + " ms into the login | 1 | "
                + reply.outcome() + " ×1 | " + took + " / – | " + bound + " (WeChat " + wechatTakes.toMillis()
                + " + store 1000 + 500) | – | – | " + (pass ? "pass" : "FAIL: answered in " + took + " ms") + " |");
        assertThat(bench.backends.wechat.calls(code)).as("the login reached WeChat before Redis froze").isEqualTo(1);
        assertThat(reply.outcome()).isEqualTo("503 session_store_unavailable");
        assertThat(took).as("ms to answer a login whose session write met a frozen Redis").isLessThanOrEqualTo(bound);
    }
}
