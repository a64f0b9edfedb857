package dev.wechatauth.gateway.faults;

import static dev.wechatauth.gateway.faults.Traffic.Kind.LOGIN;
import static dev.wechatauth.gateway.faults.Traffic.Kind.OPTIONAL;
import static dev.wechatauth.gateway.faults.Traffic.Kind.PUBLIC;
import static dev.wechatauth.gateway.faults.Traffic.Kind.REQUIRED;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import dev.wechatauth.gateway.faults.FaultyDownstream.Mode;
import dev.wechatauth.gateway.rig.Answer;
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
class HeapUnderLongFaultsTest {

    static final int PER_SECOND = 80;
    static final Duration LONG_FAULT = Duration.ofSeconds(4);

    private static Bench bench;
    private static boolean warm;
    private List<String> tokens;
    private long tokensIssued;

    @BeforeAll
    static void bench() {
        bench = Bench.get();
        Figures.note("Memory rows: open loop of " + PER_SECOND + " requests/s cycling login (third mini-program),"
                + " required, public, optional, over 20 tokens; the fault lasts " + LONG_FAULT.toSeconds() + " s.");
    }

    @BeforeEach
    void tokensAndAWarmUp() {
        bench.awaitHealthy(Duration.ofSeconds(15));
        tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Answer login = bench.client.login(bench.backends.newCode());
            if (login.token() == null) {
                throw new AssertionError("login before the fault: " + login.outcome());
            }
            tokens.add(login.token());
        }
        tokensIssued = System.nanoTime();
        if (!warm) { // the code paths of the crowd run once before any heap is measured: classes, caches, pools
            Traffic warmUp = Traffic.openLoop(bench, PER_SECOND, Bench.CROWD_APPID, tokens,
                    tokensIssued);
            Bench.pause(Duration.ofSeconds(1));
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
        Figures.print();
    }

    @Test
    void aLongFrozenRedisUnderACrowdLeavesTheHeapWhereItWas() {
        Scenario.named("memory: Redis frozen " + LONG_FAULT.toSeconds() + " s under " + PER_SECOND + " req/s")
                .lasting(LONG_FAULT)
                .timeout(Bench.STORE_TIMEOUT)
                .answers(EnumSet.of(LOGIN, REQUIRED, OPTIONAL), "503 session_store_unavailable")
                .servedFromMemoryFor(Bench.CACHE_HEARTBEAT_GRACE)
                .inject(bench.backends.redis::pause)
                .end(bench.backends.redis::resume)
                .traffic(bench -> Traffic.openLoop(bench, PER_SECOND, Bench.CROWD_APPID, tokens,
                        tokensIssued))
                .run(bench)
                .assertMeetsTheRules();
    }

    /**
     * WeChat and the downstream service hang together (logins do not reach the service, routed requests do not reach
     * WeChat). The breaker of the crowd's mini-program opens during the fault, as the contract wants, and stays open
     * its 10 s: recovery after a WeChat outage is judged by {@link HangingOrFailingWechatTest}, and only reported here.
     */
    @Test
    void aLongHangingWechatAndServiceUnderACrowdLeaveTheHeapWhereItWas() {
        Scenario.named("memory: WeChat and downstream hanging " + LONG_FAULT.toSeconds() + " s under "
                        + PER_SECOND + " req/s")
                .lasting(LONG_FAULT)
                .timeout(EnumSet.of(LOGIN), Bench.WECHAT_TIMEOUT)
                .timeout(EnumSet.of(REQUIRED, OPTIONAL, PUBLIC), Bench.RESPONSE_TIMEOUT)
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
                .traffic(bench -> Traffic.openLoop(bench, PER_SECOND, Bench.CROWD_APPID, tokens,
                        tokensIssued))
                .recoveryNotJudged(Duration.ofMillis(2500))
                .run(bench)
                .assertMeetsTheRules();
    }
}
