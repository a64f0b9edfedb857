package dev.wechatauth.contract;

import static dev.wechatauth.contract.FaultTraffic.Kind.LOGIN;
import static dev.wechatauth.contract.FaultTraffic.Kind.OPTIONAL;
import static dev.wechatauth.contract.FaultTraffic.Kind.PUBLIC;
import static dev.wechatauth.contract.FaultTraffic.Kind.REQUIRED;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import dev.wechatauth.contract.FaultyDownstream.Mode;
import dev.wechatauth.testkit.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection, memory: a longer fault under open-loop traffic ({@value #PER_SECOND} requests a second whatever
 * the answers, as a crowd of users would send them), so that anything the gateway queues without bound (Redis
 * commands, WeChat calls, downstream connections) keeps growing for the whole fault. Heap in use after GC, taken before
 * the traffic starts and after it stops, may not grow by more than 64 MB; every answer is still the contract's, within
 * its timeout + 500 ms.
 */
class FaultMemoryTest {

    static final int PER_SECOND = 80;
    static final Duration LONG_FAULT = Duration.ofSeconds(4);

    private static FaultBench bench;
    private static boolean warm;
    private List<String> tokens;
    private long tokensIssued;

    @BeforeAll
    static void bench() {
        bench = FaultBench.get();
        FaultFigures.note("Memory rows: open loop of " + PER_SECOND + " requests/s cycling login (third mini-program),"
                + " required, public, optional, over 20 tokens; the fault lasts " + LONG_FAULT.toSeconds() + " s.");
    }

    @BeforeEach
    void tokensAndAWarmUp() {
        bench.awaitHealthy(Duration.ofSeconds(15));
        tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            FaultClient.Reply login = bench.client.send(bench.client.login(bench.newCode(), null));
            if (login.token() == null) {
                throw new AssertionError("login before the fault: " + login.outcome());
            }
            tokens.add(login.token());
        }
        tokensIssued = System.nanoTime();
        if (!warm) { // the code paths of the crowd run once before any heap is measured: classes, caches, pools
            FaultTraffic warmUp = FaultTraffic.openLoop(bench, PER_SECOND, FaultBench.CROWD_APPID, tokens,
                    tokensIssued);
            FaultBench.pause(Duration.ofSeconds(1));
            warmUp.stop();
            warm = true;
        }
    }

    @AfterEach
    void everythingAnswersAgain() {
        bench.backends.redis.resume();
        bench.backends.wechat.clearScripts();
        bench.downstream.mode(Mode.ANSWER);
    }

    @AfterAll
    static void printFigures() {
        FaultFigures.print();
    }

    @Test
    void aLongFrozenRedisUnderACrowdLeavesTheHeapWhereItWas() {
        FaultScenario.named("memory: Redis frozen " + LONG_FAULT.toSeconds() + " s under " + PER_SECOND + " req/s")
                .lasting(LONG_FAULT)
                .timeout(FaultBench.STORE_TIMEOUT)
                .answers(EnumSet.of(LOGIN, REQUIRED, OPTIONAL), "503 session_store_unavailable")
                .servedFromMemoryFor(FaultBench.CACHE_HEARTBEAT_GRACE)
                .inject(bench.backends.redis::pause)
                .end(bench.backends.redis::resume)
                .traffic(bench -> FaultTraffic.openLoop(bench, PER_SECOND, FaultBench.CROWD_APPID, tokens,
                        tokensIssued))
                .run(bench)
                .assertMeetsTheIssue();
    }

    /**
     * WeChat and the downstream service hang together (logins do not reach the service, routed requests do not reach
     * WeChat). The breaker of the crowd's mini-program opens during the fault, as the contract wants, and stays open
     * its 10 s: recovery after a WeChat outage is judged by {@link FaultWechatTest}, and only reported here.
     */
    @Test
    void aLongHangingWechatAndServiceUnderACrowdLeaveTheHeapWhereItWas() {
        FaultScenario.named("memory: WeChat and downstream hanging " + LONG_FAULT.toSeconds() + " s under "
                        + PER_SECOND + " req/s")
                .lasting(LONG_FAULT)
                .timeout(EnumSet.of(LOGIN), FaultBench.WECHAT_TIMEOUT)
                .timeout(EnumSet.of(REQUIRED, OPTIONAL, PUBLIC), FaultBench.RESPONSE_TIMEOUT)
                .answers(EnumSet.of(LOGIN), "504 wechat_timeout", "503 wechat_unavailable")
                .answers(EnumSet.of(REQUIRED, OPTIONAL, PUBLIC), "504 upstream_timeout")
                .inject(() -> {
                    bench.backends.wechat.scriptAll(Reply.hang());
                    bench.downstream.mode(Mode.HANG);
                })
                .end(() -> {
                    bench.backends.wechat.clearScripts();
                    bench.downstream.mode(Mode.ANSWER);
                })
                .traffic(bench -> FaultTraffic.openLoop(bench, PER_SECOND, FaultBench.CROWD_APPID, tokens,
                        tokensIssued))
                .recoveryNotJudged(Duration.ofMillis(2500))
                .run(bench)
                .assertMeetsTheIssue();
    }
}
