package dev.wechatauth.plugin.routing;

import org.springframework.core.Ordered;

/**
 * Where the gateway's own steps run, in one place. Web filters run on every request, before routing; the one global
 * filter runs on every routed request, before any other filter that could read or copy request headers.
 */
public final class GatewayOrder {

    /** Web filter: refuses a path that is not in normalized form, before anything else reads it. */
    public static final int PATH_GUARD = Ordered.HIGHEST_PRECEDENCE;
    /** Web filters of the application that answer before routing (e.g. keeping the actuator private). */
    public static final int BEFORE_ROUTING = PATH_GUARD + 1;
    /** Web filter: the built-in session endpoints ({@code /wx/logout}, {@code /wx/session}). */
    public static final int SESSION_ENDPOINTS = PATH_GUARD + 2;
    /** Web filter: the JWK Set of the identity JWT ({@code /.well-known/jwks.json}). */
    public static final int JWK_SET = PATH_GUARD + 3;
    /**
     * Web filter: refuses a method the gateway never forwards. It shares the path guard's precedence: each refuses on
     * its own, so which of the two runs first does not matter.
     */
    public static final int METHOD_GUARD = PATH_GUARD;
    /** Global filter: applies the route's policy ({@link RoutePolicyFilter}). */
    public static final int ROUTE_POLICY = Ordered.HIGHEST_PRECEDENCE + 10;

    private GatewayOrder() {
    }
}
