package dev.wechatauth.plugin.login;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientAddressTest {

    private final ClientAddress behindProxies = new ClientAddress(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")));

    @Test
    void withoutTrustedProxiesTheClientIsThePeerWhateverItForwards() {
        ClientAddress direct = new ClientAddress(List.of());

        assertThat(direct.of(from("203.0.113.9", "198.51.100.1"))).isEqualTo("203.0.113.9");
    }

    @Test
    void anUntrustedPeerIsTheClientEvenWhenItSendsForwardedFor() {
        assertThat(behindProxies.of(from("203.0.113.9", "198.51.100.1"))).isEqualTo("203.0.113.9");
    }

    @Test
    void aTrustedPeerMakesTheRightMostUntrustedHopTheClient() {
        assertThat(behindProxies.of(from("10.1.2.3", "1.1.1.1, 198.51.100.7, 10.9.9.9"))).isEqualTo("198.51.100.7");
    }

    @Test
    void hopsSpreadOverSeveralHeadersAreReadRightToLeft() {
        MockServerHttpRequest request = MockServerHttpRequest.get("/wx/login")
                .remoteAddress(new InetSocketAddress("10.0.0.1", 4000))
                .header("X-Forwarded-For", "198.51.100.7")
                .header("X-Forwarded-For", "10.0.0.2")
                .build();

        assertThat(behindProxies.of(request)).isEqualTo("198.51.100.7");
    }

    @Test
    void aTrustedPeerWithoutForwardedForIsTheClient() {
        assertThat(behindProxies.of(from("10.1.2.3", null))).isEqualTo("10.1.2.3");
    }

    @Test
    void aMalformedHopStopsTheWalkAtTheLastGoodAddress() {
        assertThat(behindProxies.of(from("10.1.2.3", "198.51.100.7, not-an-ip"))).isEqualTo("10.1.2.3");
    }

    @Test
    void ipv6BlocksAreTrustedToo() {
        assertThat(behindProxies.of(from("fd00::1", "2001:db8::5"))).isEqualTo("2001:db8:0:0:0:0:0:5");
    }

    @Test
    void cidrBlocksContainTheirAddressesOnly() {
        Cidr block = Cidr.parse("192.168.4.0/22");

        assertThat(block.contains(ClientAddress.parse("192.168.7.255"))).isTrue();
        assertThat(block.contains(ClientAddress.parse("192.168.8.0"))).isFalse();
        assertThat(Cidr.parse("203.0.113.9").contains(ClientAddress.parse("203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ClientAddress.parse("::1"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.0/x", "example.com/8", "", "fd00::/129"})
    void aMalformedBlockIsRefusedQuotingIt(String text) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'" + text + "'");
    }

    private static MockServerHttpRequest from(String peer, String forwardedFor) {
        MockServerHttpRequest.BaseBuilder<?> request = MockServerHttpRequest.post("/wx/login")
                .remoteAddress(new InetSocketAddress(peer, 4000));
        if (forwardedFor != null) {
            request.header("X-Forwarded-For", forwardedFor);
        }
        return request.build();
    }
}
