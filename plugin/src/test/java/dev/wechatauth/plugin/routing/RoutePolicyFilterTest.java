package dev.wechatauth.plugin.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.wechatauth.plugin.support.CapturingChain;
import dev.wechatauth.plugin.support.Routes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.core.Ordered;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class RoutePolicyFilterTest {

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "required, http://orders:8080, REQUIRED, false",
            "null, http://orders:8080, REQUIRED, false",
            "opne, http://orders:8080, REQUIRED, false",
            "optional, http://catalog:8080, OPTIONAL, false",
            "PUBLIC, http://catalog:8080, PUBLIC, false",
            "login, no://op, LOGIN, true",
            "login, http://accounts:8080, LOGIN, false",
            "phone, no://op, PHONE, true",
            "Phone, http://profiles:8080, PHONE, false",
            "decrypt, no://op, DECRYPT, true",
            "DECRYPT, http://steps:8080, DECRYPT, false"})
    void filterWhenRoutedThenTheHandlerOfItsPolicyGetsTheResolvedTarget(String metadata, String uri,
            RoutePolicy policy, boolean answersItself) {
        AtomicReference<RouteTarget> seen = new AtomicReference<>();
        Map<RoutePolicy, PolicyHandler> handlers = new EnumMap<>(RoutePolicy.class);
        for (RoutePolicy each : RoutePolicy.values()) {
            handlers.put(each, (exchange, chain, route) -> {
                assertThat(route.policy()).isEqualTo(each);
                seen.set(route);
                return Mono.empty();
            });
        }
        MockServerWebExchange exchange = Routes.routed(MockServerWebExchange.from(MockServerHttpRequest.get("/x")),
                Routes.route(uri, metadata));

        StepVerifier.create(new RoutePolicyFilter(handlers).filter(exchange, new CapturingChain())).verifyComplete();

        assertThat(seen.get()).isEqualTo(new RouteTarget("r", policy, answersItself));
    }

    @Test
    void filterWhenNoRouteThenTreatedAsRequired() {
        assertThat(RouteTarget.of(null).policy()).isEqualTo(RoutePolicy.REQUIRED);
        assertThat(RouteTarget.of(null).answersItself()).isFalse();
    }

    @Test
    void constructorWhenThePhoneOrDecryptPolicyHasNoHandlerThenRefused() {
        Map<RoutePolicy, PolicyHandler> handlers = new EnumMap<>(RoutePolicy.class);
        for (RoutePolicy each : RoutePolicy.values()) {
            handlers.put(each, (exchange, chain, route) -> Mono.empty());
        }
        handlers.remove(RoutePolicy.DECRYPT);

        assertThatThrownBy(() -> new RoutePolicyFilter(handlers))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DECRYPT");
    }

    @Test
    void constructorWhenAPolicyHasNoHandlerThenRefused() {
        Map<RoutePolicy, PolicyHandler> withoutLogin = Map.of(RoutePolicy.REQUIRED, (exchange, chain, route) -> Mono.empty(),
                RoutePolicy.OPTIONAL, (exchange, chain, route) -> Mono.empty(),
                RoutePolicy.PUBLIC, (exchange, chain, route) -> Mono.empty());

        assertThatThrownBy(() -> new RoutePolicyFilter(withoutLogin))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LOGIN");
    }

    @Test
    void getOrderWhenAskedThenBeforeEveryFilterThatCouldReadOrCopyHeaders() {
        Map<RoutePolicy, PolicyHandler> handlers = new EnumMap<>(RoutePolicy.class);
        for (RoutePolicy each : RoutePolicy.values()) {
            handlers.put(each, (exchange, chain, route) -> Mono.empty());
        }

        assertThat(new RoutePolicyFilter(handlers).getOrder()).isEqualTo(GatewayOrder.ROUTE_POLICY).isLessThan(-1);
        assertThat(GatewayOrder.PATH_GUARD).isEqualTo(Ordered.HIGHEST_PRECEDENCE)
                .isLessThan(GatewayOrder.BEFORE_ROUTING).isLessThan(GatewayOrder.SESSION_ENDPOINTS);
    }
}
