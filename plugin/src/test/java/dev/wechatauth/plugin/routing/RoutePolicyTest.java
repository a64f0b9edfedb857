package dev.wechatauth.plugin.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.plugin.support.Routes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.cloud.gateway.route.Route;

class RoutePolicyTest {

    @Test
    void ofWhenNoRouteThenRequired() {
        assertThat(RoutePolicy.of(null)).isEqualTo(RoutePolicy.REQUIRED);
    }

    @Test
    void ofWhenRouteHasNoAuthMetadataThenRequired() {
        assertThat(RoutePolicy.of(Routes.route("http://x", null))).isEqualTo(RoutePolicy.REQUIRED);
    }

    @ParameterizedTest
    @CsvSource({"required, REQUIRED", "optional, OPTIONAL", "public, PUBLIC", "login, LOGIN",
            "Required, REQUIRED", "OPTIONAL, OPTIONAL", "Public, PUBLIC", "LOGIN, LOGIN", "phone, PHONE", "Phone, PHONE",
            "decrypt, DECRYPT", " DECRYPT , DECRYPT"})
    void ofWhenRouteNamesAPolicyThenThatPolicy(String value, RoutePolicy expected) {
        assertThat(RoutePolicy.of(Routes.route("http://x", value))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "off", "anonymous", "publik", "", "false", "required,public"})
    void ofWhenRouteNamesNoKnownPolicyThenRequiredSinceGuessingOpenIsUnsafe(String value) {
        assertThat(RoutePolicy.of(Routes.route("http://x", value))).isEqualTo(RoutePolicy.REQUIRED);
    }

    @Test
    void ofWhenMetadataValueIsNotTextThenRequired() {
        Route route = Route.async().id("r").uri("http://x").predicate(exchange -> true).metadata("auth", false).build();

        assertThat(RoutePolicy.of(route)).isEqualTo(RoutePolicy.REQUIRED);
    }

    @Test
    void ofWhenOtherMetadataOnlyThenRequired() {
        Route route = Route.async().id("r").uri("http://x").predicate(exchange -> true)
                .metadata("response-timeout", 200).build();

        assertThat(RoutePolicy.of(route)).isEqualTo(RoutePolicy.REQUIRED);
    }
}
