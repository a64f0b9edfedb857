package dev.wechatauth.plugin.identity;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.metrics.SessionCheckMeters;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import org.springframework.http.HttpHeaders;
import reactor.core.publisher.Mono;

/**
 * The first step of a route that acts for a logged-in user ({@code phone}, {@code decrypt}): the session of the
 * request's bearer token, with the answers of a {@code required} route when there is none: two
 * {@code Authorization} headers 400 {@code invalid_request}, no token 401 {@code missing_token}, a malformed, unknown,
 * expired or revoked token 401 {@code invalid_token}, a store that cannot answer 503
 * {@code session_store_unavailable}. Each check is counted ({@link SessionCheckMeters}).
 */
public class RequiredSession {

    private final SessionStore sessions;
    private final SessionCheckMeters checks;

    /** Token checks that are not counted. */
    public RequiredSession(SessionStore sessions) {
        this(sessions, SessionCheckMeters.unmeasured());
    }

    public RequiredSession(SessionStore sessions, SessionCheckMeters checks) {
        this.sessions = sessions;
        this.checks = checks;
    }

    /** The session of the token in {@code headers}; its idle timeout is renewed, as on every authenticated request. */
    public Mono<Session> of(HttpHeaders headers) {
        return Mono.defer(() -> {
                    BearerToken bearer = BearerToken.from(headers);
                    if (bearer.kind() == BearerToken.Kind.NONE) {
                        checks.missingToken();
                    } else if (bearer.kind() == BearerToken.Kind.MALFORMED) {
                        checks.malformedToken();
                    }
                    return checks.counted(sessions.find(bearer.require()));
                })
                .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_TOKEN)));
    }
}
