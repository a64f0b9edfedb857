package dev.wechatauth.gateway.startup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * README, "Operating it": the gateway application records no observations. Each cost a few percent of every
 * request's CPU in {@code bench/run --profile}: Lettuce's per-command tracing, Spring Cloud Gateway's request
 * observation, WebFlux's {@code http.server.requests}. Its metrics are meters, not observations
 * ({@code operations.MetricsTest}).
 */
class ObservationDefaultsTest extends OnTheSharedGateway {

    @Test
    void redisCommandsAreNotTraced() {
        LettuceConnectionFactory redis = gateway.context().getBean(LettuceConnectionFactory.class);
        ClientResources resources = redis.getClientConfiguration().getClientResources().orElseThrow();

        assertThat(resources.tracing().isEnabled()).isFalse();
    }

    @Test
    void routedRequestsAreNotObserved() {
        assertThat(gateway.context().getBeansOfType(HttpHeadersFilter.class).values())
                .extracting(filter -> filter.getClass().getName())
                .noneMatch(name -> name.contains(".observation."));
    }

    @Test
    void httpServerRequestsAreNotObserved() {
        ObservationRegistry registry = gateway.context().getBean(ObservationRegistry.class);

        assertThat(Observation.start("http.server.requests", registry).isNoop()).isTrue();
    }
}
