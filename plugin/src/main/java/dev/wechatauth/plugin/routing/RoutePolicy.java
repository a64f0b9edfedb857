package dev.wechatauth.plugin.routing;

import org.springframework.cloud.gateway.route.Route;

/**
 * A route's {@code metadata.auth}: what the gateway asks of a request before forwarding it. A route without it is
 * {@link #REQUIRED}; so is a route naming a policy that does not exist, since guessing open would be unsafe.
 */
public enum RoutePolicy {

    /** A valid token is needed; its identity is forwarded. */
    REQUIRED,
    /** A token is not needed, but one that is sent must be valid. */
    OPTIONAL,
    /** Forwarded as sent, less identity headers; no token is looked at. */
    PUBLIC,
    /** The login exchange. */
    LOGIN,
    /** A valid token is needed; the phone-number exchange ({@code getuserphonenumber}) for its user. */
    PHONE,
    /** A valid token is needed; {@code encryptedData} decrypted with its user's newest session_key. */
    DECRYPT;

    /** The metadata key naming the policy. */
    public static final String METADATA_KEY = "auth";

    private static final RoutePolicy[] POLICIES = values();

    /** The policy of {@code route}; {@link #REQUIRED} when there is no route or no policy. */
    public static RoutePolicy of(Route route) {
        if (route == null) {
            return REQUIRED;
        }
        RoutePolicy policy = parse(route.getMetadata().get(METADATA_KEY));
        return policy == null ? REQUIRED : policy;
    }

    /** The policy a metadata value names, {@code null} when it names none; absent means {@link #REQUIRED}. */
    public static RoutePolicy parse(Object value) {
        if (value == null) {
            return REQUIRED;
        }
        String name = value.toString().strip();
        for (RoutePolicy policy : POLICIES) {
            if (policy.name().equalsIgnoreCase(name)) {
                return policy;
            }
        }
        return null;
    }
}
