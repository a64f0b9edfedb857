package dev.wechatauth.gateway.identity;

import static dev.wechatauth.gateway.rig.Backends.OPTIONAL;
import static dev.wechatauth.gateway.rig.Backends.PUBLIC;
import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNoIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertRefusedAsBadRequest;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertStillServes;
import static dev.wechatauth.gateway.rig.ContractAssertions.valuesNamedLike;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tricks against the identity headers (docs/reference.md, Identity headers sent downstream): a client writing its own
 * {@code X-OpenId} in a form the gateway might miss but a backend might read. Requests are written by hand so that
 * names reach the gateway byte for byte. A request the HTTP server refuses must get a 400, reach no service, and
 * leave the gateway serving.
 */
class IdentityHeaderTricksTest extends OnTheSharedGateway {

    private static final String SPOOF = "spoofed-by-client";

    @Test
    void identityHeaderInAnotherLetterCaseIsReplacedByTheGatewaysOwn() {
        Answer answer = get(REQUIRED, true, "x-OPENID: " + SPOOF, "X-appid: " + SPOOF, "X-UNIONID: " + SPOOF);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertNoSpoofedValue(received);
    }

    @Test
    void identityHeaderLookAlikeWithUnderscoreIsRemoved() {
        Answer answer = get(REQUIRED, true, "X_OpenId: " + SPOOF, "x_openid: " + SPOOF, "X_AppId: " + SPOOF,
                "x_unionid: " + SPOOF, "X-Open_Id: kept-not-a-look-alike");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertNoSpoofedValue(received);
        assertThat(received.headers()).as("underscore spellings at the service")
                .noneMatch(h -> h.getKey().contains("_") && h.getKey().toLowerCase(Locale.ROOT).matches(
                        "x[-_](openid|unionid|appid)"));
    }

    @Test
    void everyCopyOfAnIdentityHeaderIsRemoved() {
        Answer answer = get(OPTIONAL, false, "X-OpenId: " + SPOOF + "-1", "X-OpenId: " + SPOOF + "-2",
                "x-openid: " + SPOOF + "-3", "X_OPENID: " + SPOOF + "-4", "X-AppId: " + SPOOF, "X-AppId: " + SPOOF);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertNoIdentity(received);
        assertNoSpoofedValue(received);
    }

    @Test
    void cloudRunIdentityHeadersAreRemovedEvenOnAPublicRoute() {
        Answer answer = get(PUBLIC, false, "X-WX-OPENID: " + SPOOF, "X-WX-APPID: " + SPOOF,
                "X-WX-UNIONID: " + SPOOF, "X-WX-SOURCE: " + SPOOF, "x_wx_openid: " + SPOOF, "X-Wx-Env: " + SPOOF,
                "X_WX-FROM-OPENID: " + SPOOF);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertNoIdentity(received);
        assertNoSpoofedValue(received);
    }

    @Test
    void identityHeadersSentToAForwardingLoginRouteAreReplaced() {
        String body = "{\"code\":\"" + backends.issueCode(user) + "\"}";
        Answer answer = gateway.raw("POST /wx/login-forward HTTP/1.1", body.getBytes(StandardCharsets.UTF_8),
                "Content-Type: application/json", "X-OpenId: " + SPOOF, "x_appid: " + SPOOF, "X-WX-OPENID: " + SPOOF,
                "X-Trace: kept");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertNoSpoofedValue(received);
    }

    @Test
    void aConnectionHeaderCannotStripTheGatewaysIdentityHeaders() {
        Answer answer = get(REQUIRED, true, "Connection: X-OpenId, X-AppId, X-UnionId");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
    }

    @ParameterizedTest(name = "a control character (0x{0}) in a header name is refused with 400")
    @ValueSource(strings = {"00", "01", "08", "0b", "0c", "0d", "1f", "7f"})
    void controlCharacterInHeaderNameIsRefused(String hex) {
        char control = (char) Integer.parseInt(hex, 16);

        Answer answer = get(REQUIRED, true, "X-Open" + control + "Id: " + SPOOF);

        assertRefusedAsBadRequest(answer);
        assertNothingForwarded(backends.echo);
        assertStillServes(gateway);
    }

    @ParameterizedTest(name = "white space before the colon (\"{0}\") is refused with 400")
    @ValueSource(strings = {"X-OpenId :", "X-OpenId\t:", "X-WX-OPENID :"})
    void whitespaceBetweenHeaderNameAndColonIsRefused(String nameAndColon) {
        Answer answer = get(OPTIONAL, false, nameAndColon + " " + SPOOF);

        assertRefusedAsBadRequest(answer);
        assertNothingForwarded(backends.echo);
        assertStillServes(gateway);
    }

    @Test
    void nonAsciiLookAlikeHeaderNameIsRefused() {
        // "X‐OpenId" with U+2010 HYPHEN, and "X-OpenId" with a no-break space, as UTF-8 bytes on the wire
        String hyphen = new String("X\u2010OpenId".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        Answer unicodeHyphen = get(OPTIONAL, false, hyphen + ": " + SPOOF);
        Answer noBreakSpace = get(OPTIONAL, false, "X-OpenId\u00a0: " + SPOOF);

        assertRefusedAsBadRequest(unicodeHyphen);
        assertRefusedAsBadRequest(noBreakSpace);
        assertNothingForwarded(backends.echo);
        assertStillServes(gateway);
    }

    @Test
    void aFoldedHeaderLineCannotSmuggleAnIdentityHeader() {
        Answer answer = get(REQUIRED, true, "X-Note: a\r\n X-OpenId: " + SPOOF);

        if (answer.status() == 400) {
            assertRefusedAsBadRequest(answer);
            assertNothingForwarded(backends.echo);
        } else {
            EchoDownstream.Received received = assertForwarded(answer, backends.echo);
            assertIdentity(received, user);
        }
        assertStillServes(gateway);
    }

    // ---- helpers ----

    /** A hand-written GET of {@code path} with {@code headers}, an ordinary {@code X-Trace} and maybe the token. */
    private static Answer get(String path, boolean withToken, String... headers) {
        List<String> lines = new ArrayList<>(List.of(headers));
        lines.add("X-Trace: kept");
        if (withToken) {
            lines.add("Authorization: Bearer " + token);
        }
        return gateway.raw("GET " + path + " HTTP/1.1", lines.toArray(String[]::new));
    }

    private static void assertNoSpoofedValue(EchoDownstream.Received received) {
        assertThat(received.headerValues("X-Trace")).as("an ordinary header at the service").containsExactly("kept");
        for (String name : List.of("X-OpenId", "X-UnionId", "X-AppId")) {
            assertThat(valuesNamedLike(received, name)).as("%s at the service", name).doesNotContain(
                    SPOOF, SPOOF + "-1", SPOOF + "-2", SPOOF + "-3", SPOOF + "-4");
        }
        assertThat(received.headers()).as("headers at the service").noneMatch(h -> h.getValue().startsWith(SPOOF));
    }
}
