package dev.wechatauth.plugin.routing;

import org.springframework.cloud.gateway.route.Route;

/**
 * A routed request's route as the gateway's policy steps see it, resolved once per request: its id, its
 * {@link RoutePolicy}, and whether the gateway answers it itself ({@code uri: no://op}) instead of forwarding.
 */
public record RouteTarget(String id, RoutePolicy policy, boolean answersItself) {

    private static final String SELF_ANSWERING_SCHEME = "no";
    private static final RouteTarget UNKNOWN = new RouteTarget("", RoutePolicy.REQUIRED, false);

    /** The target of {@code route}; a request without a route is treated as {@code required}. */
    public static RouteTarget of(Route route) {
        if (route == null) {
            return UNKNOWN;
        }
        return new RouteTarget(route.getId(), RoutePolicy.of(route),
                SELF_ANSWERING_SCHEME.equalsIgnoreCase(route.getUri().getScheme()));
    }
}
