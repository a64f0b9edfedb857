package dev.wechatauth.gateway.login;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Http;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Login limit: logins one client address may start per period, across all instances; every attempt
 * counts whatever its outcome; the 429 carries {@code Retry-After} in whole seconds; a refused attempt never reaches
 * WeChat; {@code X-Forwarded-For} is believed only from {@code wechat.auth.trusted-proxies}.
 * <p>
 * Three gateways on one Redis, limit {@value #LIMIT} per {@value #PERIOD_SECONDS} s: {@code a} and {@code b} trust no
 * proxy, {@code behindProxy} trusts 127.0.0.1. Each test is its own client: requests leave from a loopback address
 * of its own (127.0.1.x), or carry an {@code X-Forwarded-For} address of its own.
 */
class LoginLimitTest {

    private static final int LIMIT = 4;
    private static final int PERIOD_SECONDS = 30;

    private static Backends backends;
    private static Gateway a;
    private static Gateway b;
    private static Gateway behindProxy;

    @BeforeAll
    static void startGateways() {
        backends = Backends.start();
        a = limited().named("a").start();
        b = limited().named("b").start();
        behindProxy = limited().named("behind a proxy").with("wechat.auth.trusted-proxies=127.0.0.1/32").start();
    }

    private static GatewayLauncher limited() {
        return GatewayLauncher.on(backends).with("wechat.auth.login-limit.requests=" + LIMIT,
                "wechat.auth.login-limit.period=" + PERIOD_SECONDS + "s");
    }

    @AfterAll
    static void stopGateways() {
        behindProxy.close();
        b.close();
        a.close();
        backends.close();
    }

    @Test
    void theAttemptAfterTheLimitIs429WithRetryAfterInWholeSecondsWithinThePeriod() {
        String client = "127.0.1.1";
        for (int i = 0; i < LIMIT; i++) {
            Answer answer = login(a, client, freshCode());
            assertThat(answer.status()).as("attempt %d of %d: %s", i + 1, LIMIT, answer).isEqualTo(200);
        }
        String code = freshCode();

        Answer refused = login(a, client, code);

        assertRateLimited(refused);
        assertThat(backends.wechat.calls(code)).as("calls to WeChat for the refused attempt").isZero();
    }

    @Test
    void everyAttemptCountsWhateverItsOutcome() {
        String client = "127.0.1.2";
        String unknown = Backends.unknownCode();
        assertError(raw(a, client, "POST /wx/login HTTP/1.1", "{\"code\":", "Content-Type: application/json"),
                400, "invalid_request");
        assertError(raw(a, client, "GET /wx/login HTTP/1.1", null), 405, "invalid_request");
        assertError(raw(a, client, "POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}", "Content-Type: text/plain"),
                415, "invalid_request");
        assertError(login(a, client, unknown), 401, "invalid_code");
        String code = freshCode();

        Answer fifth = login(a, client, code);

        assertRateLimited(fifth);
        assertThat(backends.wechat.calls(unknown)).as("calls to WeChat for the one well-formed attempt").isEqualTo(1);
        assertThat(backends.wechat.calls(code)).as("calls to WeChat for the refused attempt").isZero();
    }

    @Test
    void aRefusedAttemptNeverReachesWechatNorTheService() {
        String client = "127.0.1.3";
        exhaust(a, client);
        backends.echo.clear();
        int callsBefore = backends.wechat.calls();

        for (int i = 0; i < 3; i++) {
            String code = freshCode();
            assertRateLimited(login(a, client, code));
            assertThat(backends.wechat.calls(code)).as("calls to WeChat for refused code %d", i).isZero();
        }
        String forwarded = freshCode();
        Answer refused = raw(a, client, "POST /wx/login-forward HTTP/1.1", "{\"code\":\"" + forwarded + "\"}",
                "Content-Type: application/json");

        assertRateLimited(refused);
        assertThat(backends.wechat.calls(forwarded)).as("calls to WeChat from the forwarding login route").isZero();
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
        assertThat(backends.wechat.calls()).as("calls the WeChat stand-in received in all").isEqualTo(callsBefore);
    }

    @Test
    void theLimitHoldsAcrossTwoInstancesOnOneRedis() {
        String client = "127.0.1.4";
        Gateway[] alternate = {a, b, a, b};
        for (int i = 0; i < LIMIT; i++) {
            Answer answer = login(alternate[i], client, freshCode());
            assertThat(answer.status()).as("attempt %d on instance %s: %s", i + 1, i % 2 == 0 ? "a" : "b", answer)
                    .isEqualTo(200);
        }
        String onA = freshCode();
        String onB = freshCode();

        assertRateLimited(login(a, client, onA));
        assertRateLimited(login(b, client, onB));
        assertThat(backends.wechat.calls(onA) + backends.wechat.calls(onB)).as("calls to WeChat").isZero();
    }

    @Test
    void theLimitIsPerClientAddress() {
        String greedy = "127.0.1.5";
        String other = "127.0.1.6";
        exhaust(a, greedy);
        assertRateLimited(login(a, greedy, freshCode()));

        Answer answer = login(a, other, freshCode());

        assertThat(answer.status()).as("another client's first login: %s", answer).isEqualTo(200);
    }

    @Test
    void behindATrustedProxyTwoForwardedClientsEachGetTheirOwnBudget() {
        String first = "X-Forwarded-For: 203.0.113.10";
        String second = "X-Forwarded-For: 203.0.113.11";
        for (int i = 0; i < LIMIT; i++) {
            assertThat(login(behindProxy, "127.0.0.1", freshCode(), first).status()).as("attempt %d", i + 1)
                    .isEqualTo(200);
        }
        assertRateLimited(login(behindProxy, "127.0.0.1", freshCode(), first));

        for (int i = 0; i < LIMIT; i++) {
            assertThat(login(behindProxy, "127.0.0.1", freshCode(), second).status())
                    .as("attempt %d of the second forwarded client", i + 1).isEqualTo(200);
        }
        assertRateLimited(login(behindProxy, "127.0.0.1", freshCode(), second));
    }

    @Test
    void behindATrustedProxyTheRightMostUntrustedHopIsTheClientWhateverItWroteToTheLeft() {
        String client = "203.0.113.20";
        for (int i = 0; i < LIMIT; i++) {
            // the client invents a new left-most hop every time; the proxy appends the address it saw
            String invented = "X-Forwarded-For: 10.0." + i + ".1, " + client;
            assertThat(login(behindProxy, "127.0.0.1", freshCode(), invented).status()).as("attempt %d", i + 1)
                    .isEqualTo(200);
        }

        assertRateLimited(login(behindProxy, "127.0.0.1", freshCode(), "X-Forwarded-For: 10.0.99.1, " + client));
        assertRateLimited(login(behindProxy, "127.0.0.1", freshCode(), "X-Forwarded-For: " + client + ", 127.0.0.1"));
        assertRateLimited(login(behindProxy, "127.0.0.1", freshCode(),
                "X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: " + client));
    }

    @Test
    void withoutTrustedProxiesAnInventedForwardedForDoesNotDodgeTheLimit() {
        String client = "127.0.1.7";
        for (int i = 0; i < LIMIT; i++) {
            Answer answer = login(a, client, freshCode(), "X-Forwarded-For: 198.51.100." + (i + 1));
            assertThat(answer.status()).as("attempt %d: %s", i + 1, answer).isEqualTo(200);
        }

        assertRateLimited(login(a, client, freshCode(), "X-Forwarded-For: 198.51.100.99"));
        assertRateLimited(login(a, client, freshCode()));
    }

    @Test
    void forwardedForFromAPeerThatIsNotATrustedProxyIsIgnored() {
        String client = "127.0.1.8";
        for (int i = 0; i < LIMIT; i++) {
            Answer answer = login(behindProxy, client, freshCode(), "X-Forwarded-For: 198.51.100." + (i + 1));
            assertThat(answer.status()).as("attempt %d: %s", i + 1, answer).isEqualTo(200);
        }

        assertRateLimited(login(behindProxy, client, freshCode(), "X-Forwarded-For: 198.51.100.99"));
    }

    /** 429 {@code rate_limited}; {@code Retry-After} whole seconds, at least 1, at most the period. */
    private static void assertRateLimited(Answer answer) {
        assertError(answer, 429, "rate_limited");
        assertThat(answer.headerValues("Retry-After")).as("Retry-After of %s", answer).hasSize(1);
        assertThat(Integer.parseInt(answer.header("Retry-After"))).as("Retry-After seconds")
                .isBetween(1, PERIOD_SECONDS);
    }

    /** Uses up the client's budget with attempts that never reach WeChat (malformed bodies). */
    private static void exhaust(Gateway gateway, String client) {
        for (int i = 0; i < LIMIT; i++) {
            assertError(raw(gateway, client, "POST /wx/login HTTP/1.1", "not json", "Content-Type: application/json"),
                    400, "invalid_request");
        }
    }

    private static String freshCode() {
        return backends.issueCode(backends.newUser());
    }

    private static Answer login(Gateway gateway, String client, String code, String... headers) {
        return gateway.http().from(client).login(code, headers);
    }

    private static Answer raw(Gateway gateway, String client, String requestLine, String body,
            String... headers) {
        Http from = gateway.http().from(client);
        return body == null ? from.raw(requestLine, headers) : from.raw(requestLine, body.getBytes(UTF_8), headers);
    }
}
