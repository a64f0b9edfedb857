package dev.wechatauth.plugin.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/** On a real Reactor Netty server, as the gateway runs: headers changed in place, or on a copy when that is not safe. */
class RequestHeadersTest {

    /** What one request's handler saw: whether the exchange stayed the same, and the request headers after the change. */
    private record Seen(boolean sameExchange, HttpHeaders headers) {
    }

    @Test
    void changedWhenTheServersOwnRequestThenInPlaceOnTheSameExchange() {
        Seen seen = serve(exchange -> exchange);

        assertThat(seen.sameExchange()).isTrue();
        assertThat(seen.headers().get("X-OpenId")).containsExactly("o_gateway");
        assertThat(seen.headers().containsHeader("x-openid-spoof")).isFalse();
        assertThat(seen.headers().get("X-Kept")).containsExactly("1");
    }

    @Test
    void changedWhenAnEarlierFilterReplacedTheRequestThenOnACopy() {
        Seen seen = serve(exchange -> exchange.mutate().request(request -> request.header("X-Earlier", "yes")).build());

        assertThat(seen.sameExchange()).isFalse();
        assertThat(seen.headers().get("X-OpenId")).containsExactly("o_gateway");
        assertThat(seen.headers().containsHeader("x-openid-spoof")).isFalse();
        assertThat(seen.headers().get("X-Earlier")).containsExactly("yes");
        assertThat(seen.headers().get("X-Kept")).containsExactly("1");
    }

    /** Serves one request whose exchange {@code before} may replace, then changes its headers as the gateway does. */
    private static Seen serve(Function<ServerWebExchange, ServerWebExchange> before) {
        Map<String, Seen> seen = new ConcurrentHashMap<>();
        var handler = WebHttpHandlerBuilder.webHandler(original -> {
            ServerWebExchange exchange = before.apply(original);
            ServerWebExchange changed = RequestHeaders.changed(exchange, headers -> {
                headers.remove("X-OpenId-Spoof");
                headers.set("X-OpenId", "o_gateway");
            });
            HttpHeaders after = new HttpHeaders();
            changed.getRequest().getHeaders().forEach((name, values) -> after.put(name, List.copyOf(values)));
            seen.put("request", new Seen(changed == exchange, after));
            return changed.getResponse().setComplete();
        }).build();
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(handler)).bindNow();
        try {
            Integer status = HttpClient.create()
                    .headers(headers -> headers.add("X-OpenId-Spoof", "o_attacker").add("X-Kept", "1"))
                    .get().uri("http://127.0.0.1:" + server.port() + "/x")
                    .response().map(response -> response.status().code())
                    .block(Duration.ofSeconds(30));
            assertThat(status).isEqualTo(200);
        } finally {
            server.disposeNow();
        }
        return seen.get("request");
    }
}
